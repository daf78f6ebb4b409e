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
        const l = await sb.json(['ls', '--flat', '--config', config, '--data-dir', sb.path('viewer'), '--coordinator', coord.addr])
        return l.length >= 1
      }, 'the file listed', 30_000)
    }
    return d
  }

  function getArgs (out: string, dataDir = 'dl'): string[] {
    return ['get', 'big.bin', '--config', config, '--data-dir', sb.path(dataDir), '--coordinator', coord.addr, '--out', sb.path(out)]
  }

  function assertRate (rate: number, expected: number, what: string): void {
    const off = Math.abs(rate - expected) / expected
    assert.ok(off <= TOLERANCE, `${what}: ${(rate / MiB).toFixed(3)} MiB/s, expected ${(expected / MiB).toFixed(3)} MiB/s ±${TOLERANCE * 100}% (off by ${(off * 100).toFixed(1)}%)`)
  }

  it('--max-upload on the provider holds a get to that rate', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 12 * MiB)
    await start('p', true, ['--max-upload', '2MiB'])
    const r = await sb.json(getArgs('out'), { timeoutMs: 120_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-p', 'big.bin')))
    assertRate(r.size / r.seconds, 2 * MiB, 'upload-limited get')
  })

  it('--max-download on the downloader holds a get to that rate', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 12 * MiB)
    await start('p', true)
    const r = await sb.json([...getArgs('out'), '--max-download', '2MiB'], { timeoutMs: 120_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-p', 'big.bin')))
    assertRate(r.size / r.seconds, 2 * MiB, 'download-limited get')
  })

  it('fsnode limit changes the upload rate of a running node during a get', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 16 * MiB)
    await start('p', true, ['--max-upload', '512KiB'])
    // the get runs in this daemon, so its progress can be sampled; over one stream, so chunks
    // are written one after another rather than four at a time (a finer measure of the rate)
    const oneStream = sb.path('one-stream.json')
    await writeFile(oneStream, JSON.stringify({ node: { limits: { limitLan: true, streamsPerPeer: 1 } } }))
    await start('dl', false, [], oneStream)
    const dl = ControlClient.forDataDir(sb.path('dl'))
    const get = sb.json(getArgs('out'), { timeoutMs: 120_000 })
    get.catch(() => {})
    /** (time, bytes) each time the downloader's bytesDone moves: a chunk was written. */
    const samples: Array<[number, number]> = []
    const sampling = (async () => {
      let last = -1
      while (true) {
        const s = await dl.call('status').catch(() => undefined)
        const done = s?.downloads?.[0]?.bytesDone
        if (s != null && s.downloads.length === 0 && samples.length > 0) return
        if (typeof done === 'number' && done !== last) { samples.push([performance.now(), done]); last = done }
        await sleep(50)
      }
    })()
    /** Bytes/s between the first and last chunk written in [from, to]. */
    const rateBetween = (from: number, to: number): number => {
      const inside = samples.filter(([t]) => t >= from && t <= to)
      assert.ok(inside.length >= 3, `${JSON.stringify(samples)}: ` + `only ${inside.length} samples between ${from} and ${to}`)
      const [t0, b0] = inside[0]
      const [t1, b1] = inside[inside.length - 1]
      return (b1 - b0) / ((t1 - t0) / 1000)
    }

    await waitFor(async () => samples.length > 0 ? true : undefined, 'the get to start', 60_000, 50)
    const before0 = performance.now()
    await sleep(6_000)
    const before1 = performance.now()
    const limits = await sb.json(['limit', '--upload', '2MiB', '--config', config, '--data-dir', sb.path('p')])
    assert.deepEqual(limits, { upload: 2 * MiB, download: 0, limitLan: true })
    assert.deepEqual((await sb.json(['status', '--data-dir', sb.path('p')])).limits, limits, 'status shows the limits in force')
    const after0 = performance.now() + 1_000 // "takes effect within a second"
    await get
    await sampling
    const after1 = performance.now()
    const before = rateBetween(before0, before1)
    const after = rateBetween(after0, after1)
    assertRate(before, 512 * 1024, 'before fsnode limit')
    assertRate(after, 2 * MiB, 'after fsnode limit')
  })

  it('a bad RATE is a one-line error, exit 2, from the flag, the config file and fsnode limit', async () => {
    const bad = sb.path('bad.json')
    await writeFile(bad, JSON.stringify({ node: { limits: { upload: '4 parsecs' } } }))
    const cases: Array<[string[], RegExp]> = [
      [['start', '--data-dir', sb.path('x'), '--max-upload', 'fast'], /^fsnode: --max-upload: not a rate: "fast"/],
      [['get', 'x', '--data-dir', sb.path('x'), '--max-download', '-1'], /^fsnode: --max-download: not a rate: "-1"/],
      [['start', '--config', bad, '--data-dir', sb.path('x')], /^fsnode: .*bad\.json: node\.limits\.upload: not a rate: "4 parsecs"/],
      [['limit', '--upload', '3 bananas', '--data-dir', sb.path('x')], /^fsnode: --upload: not a rate: "3 bananas"/]
    ]
    for (const [args, re] of cases) {
      const r = await sb.run(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, re)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
  })
})
