import assert from 'node:assert/strict'
import { readdir, readFile, stat, open, utimes, writeFile } from 'node:fs/promises'
import { Sandbox, waitFor, sleep } from './harness.js'
import { sha256File, writeRandom, writeText } from './files.js'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024
/** Past the 16 MiB where chunks grow to 1 MiB: many chunks over every stream, in well under a
 * second of CPU to write, hash and verify (the size itself is not under test here). */
const LARGE = 40 * MiB
/** A get held to this rate is still under way when a test kills a process beside it, however
 * fast or loaded the machine (unthrottled, a few tens of MiB on loopback take well under a
 * second and a kill could come too late). */
const SLOW_GET = '8MiB'

describe('e2e: fsnode get', function () {
  this.timeout(180_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  /** The data dir of the provider started last: listed() asks its daemon what the network lists. */
  let lastProvider = ''
  async function provider (name: string): Promise<Daemon> {
    lastProvider = sb.path(`p-${name}`)
    return await sb.daemon(['start', '--data-dir', sb.path(`p-${name}`), '--share', sb.path(`share-${name}`), '--listen', LOCAL, '--coordinator', coord.addr])
  }

  async function listed (count: number): Promise<any[]> {
    return await waitFor(async () => {
      const l = await sb.ask<any[]>(lastProvider, 'ls')
      return l.length >= count ? l : undefined
    }, `${count} files listed`, 30_000)
  }

  function getArgs (target: string, out = 'out', dataDir = 'dl'): string[] {
    return ['get', target, '--data-dir', sb.path(dataDir), '--coordinator', coord.addr, '--out', sb.path(out)]
  }

  /** getArgs, held to SLOW_GET (every peer here is on loopback: limits need limitLan), from
   * every provider (on a busy machine a get may otherwise use one of them: node.focusProviders). */
  async function slowGetArgs (target: string, out: string, dataDir: string): Promise<string[]> {
    const config = sb.path('slow-get.json')
    await writeFile(config, JSON.stringify({ node: { limits: { limitLan: true }, focusProviders: false } }))
    return [...getArgs(target, out, dataDir), '--config', config, '--max-download', SLOW_GET]
  }

  /** getArgs from every provider, however busy the machine (node.focusProviders). */
  async function everyProviderArgs (target: string, out: string): Promise<string[]> {
    const config = sb.path('every-provider.json')
    await writeFile(config, JSON.stringify({ node: { focusProviders: false } }))
    return [...getArgs(target, out), '--config', config]
  }

  it('empty, 1-byte, one-chunk, chunk-plus-one and 40 MiB (1 MiB chunks) files arrive byte-identical', async () => {
    const sizes: Record<string, number> = {
      'empty.bin': 0, 'one.bin': 1, 'chunk.bin': 256 * 1024, 'chunk-plus-one.bin': 256 * 1024 + 1, 'large.bin': LARGE + 1
    }
    for (const [name, size] of Object.entries(sizes)) await writeRandom(sb.path('share-a', name), size)
    await provider('a')
    await listed(5)
    for (const [name, size] of Object.entries(sizes)) {
      const r = await sb.json(getArgs(name), { timeoutMs: 120_000 })
      assert.equal(r.size, size, name)
      assert.equal(r.path, sb.path('out', name))
      assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', name)), `${name} is byte-identical`)
      assert.equal(typeof r.bytesPerSecond, 'number')
      assert.equal(r.providers.length, size === 0 ? r.providers.length : 1)
    }
    // nothing left behind but the files themselves
    const left = (await readdir(sb.path('out'))).filter(n => !n.startsWith('.fsnode-partial'))
    assert.deepEqual(left.sort(), Object.keys(sizes).sort())
  })

  it('fetches from two providers at once, and completes when one is killed mid-download', async () => {
    await writeRandom(sb.path('share-a', 'big.bin'), LARGE)
    const { copyFile } = await import('node:fs/promises')
    await sb.mkdir('share-b')
    await copyFile(sb.path('share-a', 'big.bin'), sb.path('share-b', 'big.bin'))
    const [a, b] = await Promise.all([provider('a'), provider('b')])
    await waitFor(async () => {
      const l = await sb.ask<any[]>(lastProvider, 'ls')
      return l[0]?.providers?.length === 2
    }, 'two providers listed', 30_000)

    const both = await sb.json(await everyProviderArgs('big.bin', 'out1'), { timeoutMs: 120_000 })
    assert.deepEqual(both.providers.sort(), [a.peerId, b.peerId].sort(), 'chunks came from both providers')
    assert.equal(await sha256File(both.path), await sha256File(sb.path('share-a', 'big.bin')))

    // every chunk came from one of them, exactly once
    assert.equal((both.chunksFromPeer[a.peerId] ?? 0) + (both.chunksFromPeer[b.peerId] ?? 0), both.chunks)

    // kill provider b once a quarter of the file is on disk: well under way, with both serving
    const child = sb.spawn([...await slowGetArgs('big.bin', 'out2', 'dl2'), '--json'])
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    const closed = new Promise(resolve => child.on('close', resolve))
    const partial = sb.path('out2', '.fsnode-partial')
    const seen = await waitFor(async () => child.exitCode != null ? 'exited' : await recordedChunks(partial) >= both.chunks / 4 ? 'progress' : undefined, 'a quarter of the file recorded', 60_000, 20)
    assert.equal(seen, 'progress', `the get ended (exit ${child.exitCode}) before b could be killed: ${err}`)
    await assert.rejects(stat(sb.path('out2', 'big.bin')), { code: 'ENOENT' }, 'not complete when b is killed')
    b.kill()
    const code = await closed
    assert.equal(code, 0, err)
    const r = JSON.parse(out)
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', 'big.bin')))
    // b served part of the file before it died, a the rest; nothing was fetched twice
    const fromB = r.chunksFromPeer[b.peerId] ?? 0
    const fromA = r.chunksFromPeer[a.peerId] ?? 0
    assert.ok(fromB > 0, `the killed provider served ${fromB} chunks`)
    assert.ok(fromA > 0 && fromB < r.chunks, `a served ${fromA} chunks, b ${fromB}`)
    assert.equal(fromA + fromB, r.chunks)
  })

  it('a provider whose file was edited behind its index re-hashes it: the old id fails cleanly, never a corrupt file', async () => {
    const size = 8 * 1024 * 1024
    await writeRandom(sb.path('share-bad', 'data.bin'), size)
    const { copyFile } = await import('node:fs/promises')
    await sb.mkdir('share-good')
    await copyFile(sb.path('share-bad', 'data.bin'), sb.path('share-good', 'data.bin'))
    // whole-second mtimes, so restoring one after the edit is exact
    const mtime = new Date(1_700_000_000_000)
    await utimes(sb.path('share-bad', 'data.bin'), mtime, mtime)
    const expected = await sha256File(sb.path('share-good', 'data.bin'))
    const bad = await provider('bad')
    await listed(1)
    const oldId = r0(await lookupIds(sb, sb.path('p-bad'), 'data.bin'))
    await bad.stop()
    // edit the file while its node is down: same size, mtime restored; its ctime still tells,
    // so the restarted node re-hashes it and announces the new id in place of the old
    const fh = await open(sb.path('share-bad', 'data.bin'), 'r+')
    await fh.write(Buffer.alloc(4096, 0xee), 0, 4096, 1024 * 1024)
    await fh.close()
    await utimes(sb.path('share-bad', 'data.bin'), mtime, mtime)
    const bad2 = await provider('bad')
    await waitFor(async () => {
      const ids = await lookupIds(sb, sb.path('p-bad'), 'data.bin')
      return ids.length === 1 && ids[0] !== oldId
    }, 'the edited file announced under a new id', 30_000)

    // nobody serves the old id any more: a clear error, exit 1, nothing under the final name
    const fail = await sb.run([...getArgs(oldId, 'out-fail'), '--json'], { timeoutMs: 120_000 })
    assert.equal(fail.code, 1, fail.stderr)
    assert.match(fail.stderr.trim(), /^fsnode: .+/)
    assert.equal(fail.stderr.trim().split('\n').length, 1)
    await assert.rejects(stat(sb.path('out-fail', 'data.bin')), { code: 'ENOENT' })
    await assert.rejects(stat(sb.path('out-fail', oldId)), { code: 'ENOENT' })

    // an honest provider appears: the download completes from it, byte-identical
    const good = await provider('good')
    await waitFor(async () => {
      const r = await sb.ask<any[]>(sb.path('p-good'), 'ls')
      return r.some((f: any) => f.providers.some((p: any) => p.peerId === good.peerId))
    }, 'honest provider listed', 30_000)
    const r = await sb.json([...getArgs(oldId, 'out-ok')], { timeoutMs: 120_000 })
    assert.equal(await sha256File(r.path), expected)
    assert.ok(r.providers.includes(good.peerId))
    void bad2
  })

  it('resumes an interrupted download and fetches only what was missing', async () => {
    await writeRandom(sb.path('share-a', 'resume.bin'), LARGE)
    let a = await provider('a')
    await listed(1)
    const child = sb.spawn([...await slowGetArgs('resume.bin', 'out', 'dl'), '--json'])
    const closed = new Promise(resolve => child.on('close', resolve))
    const partial = sb.path('out', '.fsnode-partial')
    // once some chunks are recorded on disk, pull the plug on the provider
    let err = ''
    child.stderr.on('data', d => { err += d })
    child.stdout.resume()
    const seen = await waitFor(async () => child.exitCode != null ? 'exited' : await recordedChunks(partial) > 0 ? 'progress' : undefined, 'progress recorded on disk', 60_000, 10)
    assert.equal(seen, 'progress', `the get ended (exit ${child.exitCode}) before the provider could be killed: ${err}`)
    a.kill()
    const code = await closed
    assert.equal(code, 1, 'the get fails with the only provider gone')
    await assert.rejects(stat(sb.path('out', 'resume.bin')), { code: 'ENOENT' }, 'no file under the final name')

    a = await provider('a')
    let before = 0
    const r = await waitFor(async () => {
      before = await recordedChunks(partial) // what this attempt starts from
      const res = await sb.run([...getArgs('resume.bin'), '--json'], { timeoutMs: 120_000 })
      return res.code === 0 ? JSON.parse(res.stdout) : undefined
    }, 'resumed get', 60_000, 1000)
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', 'resume.bin')))
    // it reused exactly the chunks recorded, and fetched exactly the others
    assert.ok(before > 0 && before < r.chunks, `${before} of ${r.chunks} chunks recorded when the provider died`)
    assert.equal(r.resumedChunks, before)
    assert.equal(Object.values(r.chunksFromPeer as Record<string, number>).reduce((n, c) => n + c, 0), r.chunks - before)
    assert.deepEqual(Object.keys(r.chunksFromPeer), [a.peerId])
  })

  it('unknown names and ids fail with exit 1; a name shared with two contents asks for the file id', async () => {
    await writeText(sb.path('share-a', 'same.txt'), 'first content')
    await writeText(sb.path('share-b', 'same.txt'), 'second, different content')
    await Promise.all([provider('a'), provider('b')])
    await listed(2)

    const unknown = await sb.run(getArgs('no-such-file.txt'))
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no file named "no-such-file.txt"/)
    const unknownId = await sb.run(getArgs('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'))
    assert.equal(unknownId.code, 1)
    assert.match(unknownId.stderr, /no provider of file id/)

    const ambiguous = await sb.run(getArgs('same.txt'))
    assert.equal(ambiguous.code, 1)
    assert.equal(ambiguous.stderr.trim().split('\n').length, 1)
    assert.match(ambiguous.stderr, /names 2 different files: .*bafk.*bafk.*get one by its file id/)
    const ids: string[] = (await lookupIds(sb, lastProvider, 'same.txt'))
    const r = await sb.json(getArgs(ids[0]))
    assert.ok(['first content', 'second, different content'].includes((await import('node:fs')).readFileSync(r.path, 'utf8')))
  })

  it('never overwrites an existing file of the same name with other content', async () => {
    await writeText(sb.path('share-a', 'notes.txt'), 'from the network')
    await provider('a')
    await listed(1)
    await sb.mkdir('out')
    await writeFile(sb.path('out', 'notes.txt'), 'mine, do not touch')
    const r = await sb.json(getArgs('notes.txt'))
    assert.notEqual(r.path, sb.path('out', 'notes.txt'))
    const { readFileSync } = await import('node:fs')
    assert.equal(readFileSync(sb.path('out', 'notes.txt'), 'utf8'), 'mine, do not touch')
    assert.equal(readFileSync(r.path, 'utf8'), 'from the network')
  })

  it('a running node downloads for `get`, reports progress, and then seeds the file', async () => {
    await writeRandom(sb.path('share-a', 'seed-me.bin'), 3 * 1024 * 1024)
    const a = await provider('a')
    await listed(1)
    await sb.mkdir('share-d')
    const d = await sb.daemon(['start', '--data-dir', sb.path('d'), '--share', sb.path('share-d'), '--downloads', sb.path('d-downloads'), '--listen', LOCAL, '--coordinator', coord.addr])
    const r = await sb.json(['get', 'seed-me.bin', '--data-dir', sb.path('d')])
    assert.equal(r.path, sb.path('d-downloads', 'seed-me.bin'))
    const s = await sb.json(['status', '--data-dir', sb.path('d')])
    assert.equal(s.running, true)
    await waitFor(async () => {
      const l = await sb.ask<any[]>(sb.path('d'), 'ls')
      const f = l.find((x: any) => x.name === 'seed-me.bin')
      return f?.providers.some((p: any) => p.peerId === d.peerId)
    }, 'the downloader seeds the file', 20_000)
    // the original provider goes away; a third node still gets the file, from the seeder
    await a.stop()
    const r2 = await sb.json(getArgs('seed-me.bin', 'out3', 'dl3'))
    assert.deepEqual(r2.providers, [d.peerId])
    assert.equal(await sha256File(r2.path), await sha256File(sb.path('share-a', 'seed-me.bin')))
    await sleep(10)
  })
})

/** Chunks the (single) download state under `partialDir` records as on disk; 0 while none. */
async function recordedChunks (partialDir: string): Promise<number> {
  const names = (await readdir(partialDir).catch(() => [])).filter(n => n.endsWith('.state'))
  if (names.length !== 1) return 0
  try {
    const state = JSON.parse(await readFile(`${partialDir}/${names[0]}`, 'utf8'))
    let n = 0
    for (const byte of Buffer.from(state.done, 'base64')) for (let b = byte; b > 0; b >>= 1) n += b & 1
    return n
  } catch {
    return 0 // gone meanwhile (the download completed)
  }
}

/** The file ids the network lists under `name`, asked of the node running on `dataDir`. */
async function lookupIds (sb: Sandbox, dataDir: string, name: string): Promise<string[]> {
  const l = await sb.ask<any[]>(dataDir, 'ls')
  return l.filter((f: any) => f.name === name).map((f: any) => f.fileId)
}

function r0 (ids: string[]): string {
  assert.equal(ids.length, 1)
  return ids[0]
}
