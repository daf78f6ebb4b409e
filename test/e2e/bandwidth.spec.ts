import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { Sandbox, sleep, waitFor } from './harness.js'
import { sha256File, writeRandom } from './files.js'
import { ControlClient } from '../../src/control/client.js'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024
/** The bar: a rate holds within 15%. */
const TOLERANCE = 0.15

/** A real get between fsnode processes on 127.0.0.1 (so limitLan: true), limited at either end. */
describe('e2e: bandwidth limits', function () {
  this.timeout(180_000)
  let sb: Sandbox
  let coord: Daemon
  let config: string

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    config = sb.path('config.json')
    // every peer here is on loopback: without limitLan the limits would not apply at all
    await writeFile(config, JSON.stringify({ node: { limits: { limitLan: true } } }))
  })
  afterEach(async () => { await sb.cleanup() })

  async function start (name: string, share: boolean, extra: string[] = [], cfg = config): Promise<Daemon> {
    await sb.mkdir(`share-${name}`)
    const d = await sb.daemon(['start', '--config', cfg, '--data-dir', sb.path(name), '--share', sb.path(`share-${name}`), '--listen', LOCAL, '--coordinator', coord.addr, ...extra])
    if (share) {
      await waitFor(async () => {
        const l = await sb.ask<any[]>(sb.path(name), 'ls')
        return l.length >= 1
      }, 'the file listed', 30_000)
    }
    return d
  }

  function assertRate (rate: number, expected: number, what: string): void {
    const off = Math.abs(rate - expected) / expected
    console.log(`      ${what}: ${(rate / MiB).toFixed(3)} MiB/s (${((rate / expected - 1) * 100).toFixed(1)}%)`)
    assert.ok(off <= TOLERANCE, `${what}: ${(rate / MiB).toFixed(3)} MiB/s, expected ${(expected / MiB).toFixed(3)} MiB/s ±${TOLERANCE * 100}% (off by ${(off * 100).toFixed(1)}%)`)
  }

  /** How often a sampler asks: the daemon updates a download's bytes every 200 ms
   * (PROGRESS_INTERVAL); asking more often only takes CPU from the transfer it measures. */
  const SAMPLE_EVERY = 100

  /** A get of big.bin run by the daemon at `dataDir`, started through its control socket (no
   * process start beside the transfer), and (time, bytes) each time the bytes it has written
   * (at the receiver) move, from its first bytes on: it is listed from its start, with 0 bytes
   * through the dial and the manifest, which are not the rate. Each time is the middle of its
   * request, so a slow answer under load shifts it by half its round trip, not all of it. */
  function sampledDownload (dataDir: string): { samples: Array<[number, number]>, done: Promise<any> } {
    const client = ControlClient.forDataDir(sb.path(dataDir))
    const samples: Array<[number, number]> = []
    const done = (async () => {
      const started = await client.callUnchecked('download', { target: 'big.bin', out: sb.path(`out-${dataDir}`) })
      let last = 0
      const deadline = Date.now() + 150_000
      while (Date.now() < deadline) {
        const asked = performance.now()
        const d = (await client.callUnchecked<any[]>('downloads')).find(x => x.id === started.id)
        const at = (asked + performance.now()) / 2
        if (d?.state !== 'running') return d
        if (d.bytesDone !== last) { samples.push([at, d.bytesDone]); last = d.bytesDone }
        await sleep(SAMPLE_EVERY)
      }
      throw new Error(`the get on ${dataDir} did not end: ${JSON.stringify(samples.slice(-3))}`)
    })()
    return { samples, done }
  }

  /** Bytes/s over the samples in [from, to]: the slope of a least-squares line through all of
   * them, not two end points, so one late sample (a process the loaded machine did not run for
   * a moment) moves it little; chunks land in steps, which bias the slope by under 1%. */
  function rateBetween (samples: Array<[number, number]>, from = 0, to = Infinity): number {
    const inside = samples.filter(([t]) => t >= from && t <= to)
    assert.ok(inside.length >= 3, `only ${inside.length} samples in the window: ${JSON.stringify(samples)}`)
    const n = inside.length
    const mt = inside.reduce((a, [t]) => a + t, 0) / n
    const mb = inside.reduce((a, [, b]) => a + b, 0) / n
    let cov = 0
    let varT = 0
    for (const [t, b] of inside) { cov += (t - mt) * (b - mb); varT += (t - mt) ** 2 }
    return cov / varT * 1000
  }

  /** A get run by the daemon at `dataDir`, its progress sampled; the file must be whole. */
  async function sampledGet (dataDir = 'dl'): Promise<{ samples: Array<[number, number]> }> {
    const { samples, done } = sampledDownload(dataDir)
    const d = await done
    assert.equal(d?.state, 'done', JSON.stringify(d))
    assert.equal(await sha256File(d.result.path), await sha256File(sb.path('share-p', 'big.bin')))
    return { samples }
  }

  it('--max-upload on the provider holds a get to that rate', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 8 * MiB)
    await Promise.all([start('p', true, ['--max-upload', '1MiB']), start('dl', false)])
    const { samples } = await sampledGet()
    assertRate(rateBetween(samples), MiB, 'upload-limited get')
  })

  it('--max-download on the downloader holds a get to that rate', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 8 * MiB)
    await Promise.all([start('p', true), start('dl', false, ['--max-download', '1MiB'])])
    const { samples } = await sampledGet()
    assertRate(rateBetween(samples), MiB, 'download-limited get')
  })

  it('node.limits.perPeer.upload holds each of two downloaders to that rate at the same time', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 12 * MiB)
    const perPeer = sb.path('per-peer.json')
    await writeFile(perPeer, JSON.stringify({ node: { limits: { limitLan: true, perPeer: { upload: '1MiB' } } } }))
    await Promise.all([start('p', true, [], perPeer), start('dl', false), start('dl2', false)])
    // both at once: a node-wide limit would give each half; per peer, each gets the whole rate
    const [one, two] = await Promise.all([sampledGet('dl'), sampledGet('dl2')])
    assertRate(rateBetween(one.samples), MiB, 'first downloader')
    assertRate(rateBetween(two.samples), MiB, 'second downloader')
    assert.deepEqual((await sb.json(['status', '--data-dir', sb.path('p')])).limits, { upload: 0, download: 0, limitLan: true, perPeer: { upload: MiB, download: 0 } })
  })

  it('fsnode limit changes the upload rate of a running node during a get', async () => {
    // 8 s at 256 KiB/s, then the remaining 8 MiB at 1 MiB/s
    await writeRandom(sb.path('share-p', 'big.bin'), 10 * MiB)
    // over one stream, so chunks are written one after another rather than four at a time
    // (a finer measure of the rate)
    const oneStream = sb.path('one-stream.json')
    await writeFile(oneStream, JSON.stringify({ node: { limits: { limitLan: true, streamsPerPeer: 1 } } }))
    await Promise.all([start('p', true, ['--max-upload', '256KiB']), start('dl', false, [], oneStream)])
    const { samples, done } = sampledDownload('dl')
    done.catch(() => {}) // awaited below; a failure meanwhile is not an unhandled rejection
    await waitFor(async () => samples.length > 0 ? true : undefined, 'the first bytes of the get', 60_000, 50)
    const before0 = performance.now()
    await sleep(8_000)
    const before1 = performance.now()
    const limits = await sb.json(['limit', '--upload', '1MiB', '--config', config, '--data-dir', sb.path('p')])
    assert.deepEqual(limits, { upload: MiB, download: 0, limitLan: true })
    const after0 = performance.now() + 1_000 // "takes effect within a second"
    assert.deepEqual((await sb.json(['status', '--data-dir', sb.path('p')])).limits, limits, 'status shows the limits in force')
    const d = await done
    assert.equal(d?.state, 'done', JSON.stringify(d))
    assert.equal(await sha256File(d.result.path), await sha256File(sb.path('share-p', 'big.bin')))
    assertRate(rateBetween(samples, before0, before1), 256 * 1024, 'before fsnode limit')
    assertRate(rateBetween(samples, after0), MiB, 'after fsnode limit')
  })

  it('a bad RATE is a one-line error, exit 2, from the flag, the config file and fsnode limit', async () => {
    const bad = sb.path('bad.json')
    await writeFile(bad, JSON.stringify({ node: { limits: { upload: '4 parsecs' } } }))
    const cases: Array<[string[], RegExp]> = [
      [['start', '--data-dir', sb.path('x1'), '--max-upload', 'fast'], /^fsnode: --max-upload: not a rate: "fast"/],
      [['get', 'x', '--data-dir', sb.path('x2'), '--max-download', '-1'], /^fsnode: --max-download: not a rate: "-1"/],
      [['start', '--config', bad, '--data-dir', sb.path('x3')], /^fsnode: .*bad\.json: node\.limits\.upload: not a rate: "4 parsecs"/],
      [['limit', '--upload', '3 bananas', '--data-dir', sb.path('x4')], /^fsnode: --upload: not a rate: "3 bananas"/]
    ]
    // each a process of its own that stops at its arguments: run at once
    const results = await Promise.all(cases.map(async ([args]) => await sb.run(args)))
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i]
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, re)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
  })
})
