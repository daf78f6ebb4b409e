import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, open, readdir, rename, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { expectedFileId, sha256File, writeRandom } from '../e2e/files.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { Cleanup, makeHost, makeProvider, randomFile, shareFile, tempDir } from '../transfer/helpers.js'
import { ask } from './chunk-client.js'
import { ShareIndex } from '../../src/share/share-index.js'
import { chunkServer } from '../../src/transfer/server.js'
import type { ChunkServer } from '../../src/transfer/server.js'
import type { Daemon } from '../e2e/harness.js'

const run = promisify(execFile)
const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

/** Overwrite bytes in the middle of a file (same size), then give it back its old mtime with
 * `touch -r`, as a user hiding an edit would: only its ctime tells. */
async function editInPlace (path: string): Promise<void> {
  const ref = `${path}.times`
  await run('touch', ['-r', path, ref])
  const before = await stat(path)
  const fh = await open(path, 'r+')
  await fh.write(Buffer.alloc(4096, 0xee), 0, 4096, 1 * MiB)
  await fh.close()
  await run('touch', ['-r', ref, path])
  const after = await stat(path)
  assert.equal(after.mtimeMs, before.mtimeMs, 'mtime restored')
  assert.equal(after.size, before.size)
  assert.notEqual(after.ctimeMs, before.ctimeMs)
}

describe('hardening: a file edited in place with its mtime restored', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  const provider = async (): Promise<Daemon> =>
    await sb.daemon(['start', '--data-dir', sb.path('p'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])

  /** The ids the coordinator lists for a name, asked of the running provider. */
  async function idsOf (name: string): Promise<string[]> {
    const l = await sb.ask<any[]>(sb.path('p'), 'ls')
    return l.filter((f: any) => f.name === name).map((f: any) => f.fileId)
  }

  /** The node announces the edited content under its new id (and only it), and another node
   * gets that id byte-identical. */
  async function expectRehashed (path: string, oldId: string): Promise<void> {
    const newId = await expectedFileId(path)
    assert.notEqual(newId, oldId)
    await waitFor(async () => (await idsOf('data.bin')).join() === newId, 'the new id announced in place of the old', 30_000)
    const r = await sb.json(['get', newId, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out')], { timeoutMs: 60_000 })
    assert.equal(await sha256File(r.path), await sha256File(path))
  }

  it('while the node runs: it re-hashes, announces the new id, and a get of the new id works', async () => {
    const path = sb.path('share', 'data.bin')
    await writeRandom(path, 3 * MiB)
    await provider()
    const oldId = await waitFor(async () => (await idsOf('data.bin'))[0], 'data.bin listed', 30_000)
    assert.equal(oldId, await expectedFileId(path))
    await editInPlace(path)
    await expectRehashed(path, oldId)
  })

  it('while the node is down: the hash cache does not vouch for it after a restart', async () => {
    const path = sb.path('share', 'data.bin')
    await writeRandom(path, 3 * MiB)
    const node = await provider()
    const oldId = await waitFor(async () => (await idsOf('data.bin'))[0], 'data.bin listed', 30_000)
    await node.stop()
    await editInPlace(path)
    await provider()
    // the restarted node shares what its hash cache knew before its scan: a get of the old id,
    // whether it reaches the node before (the chunk server refuses the changed file) or after
    // the scan (the id is gone), fails, and leaves no file behind
    const stale = await sb.run(['get', oldId, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('stale')], { timeoutMs: 60_000 })
    assert.notEqual(stale.code, 0, `a get of the old id succeeded: ${stale.stdout}`)
    assert.deepEqual(await readdir(sb.path('stale')).catch(() => []), [])
    await expectRehashed(path, oldId)
  })
})

describe('hardening: the chunk server and a file edited with its mtime restored', function () {
  this.timeout(30_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('answers CHANGED instead of serving bytes that fail every chunk, and asks for a re-hash', async () => {
    const provider = await makeProvider(cleanup)
    const client = await makeHost(cleanup)
    const path = await randomFile(join(await tempDir(cleanup), 'edited.bin'), 2 * MiB)
    const file = provider.source.add(await shareFile(path, 'edited.bin'))
    await editInPlace(path)
    const a = await ask(client, provider.info.addrs[0], file.fileId, ChunkRequest.Type.CHUNK, 4)
    assert.equal(a.status, ChunkResponse.Status.CHANGED, `answered ${ChunkResponse.Status[a.status]}`)
    assert.deepEqual(provider.source.revalidated, [file])
  })
})

describe('hardening: a restart that shares its hash cache before scanning', function () {
  this.timeout(30_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('answers CHANGED for a file edited while stopped (not its bytes), and re-hashes it before the scan', async () => {
    const dir = await tempDir(cleanup)
    const share = join(dir, 'share')
    const data = join(dir, 'data')
    await mkdir(share)
    const path = await randomFile(join(share, 'data.bin'), 2 * MiB)
    const first = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    await first.start()
    const old = first.getByName('data.bin')
    assert.ok(old != null)
    await first.stop()
    await editInPlace(path)

    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    cleanup.add(async () => { await index.stop() })
    // the scan waits for startWatching(): until then the index holds what the cache knew
    await index.start({ cachedFirst: true, deferWatch: true })
    assert.ok(index.getByFileId(old.fileId) != null, 'the old version is shared unseen')
    const provider = await makeHost<{ chunkServer: ChunkServer }>(cleanup, { chunkServer: chunkServer({ source: index }) })
    const client = await makeHost(cleanup)
    const addr = provider.getMultiaddrs()[0].toString()
    const m = await ask(client, addr, old.fileId, ChunkRequest.Type.MANIFEST)
    assert.equal(m.status, ChunkResponse.Status.CHANGED, `answered ${ChunkResponse.Status[m.status]}`)
    assert.equal(m.body.length, 0)
    // then it is dropped while re-hashed: not found, still never its bytes
    const c = await ask(client, addr, old.fileId, ChunkRequest.Type.CHUNK, 4)
    assert.ok([ChunkResponse.Status.NOT_FOUND, ChunkResponse.Status.CHANGED].includes(c.status), `answered ${ChunkResponse.Status[c.status]}`)
    assert.equal(c.body.length, 0)
    const newId = await expectedFileId(path)
    await waitFor(async () => index.getByName('data.bin')?.fileId.toString() === newId, 'data.bin re-hashed', 10_000)
    assert.equal(index.getByFileId(old.fileId), undefined)
    assert.equal(index.stats().scanMs, 0, 'before any scan')
    const a = await ask(client, addr, index.getByName('data.bin')!.fileId, ChunkRequest.Type.CHUNK, 4)
    assert.equal(a.status, ChunkResponse.Status.OK)
    const fh = await open(path, 'r')
    const want = Buffer.alloc(a.body.length)
    await fh.read(want, 0, want.length, 4 * old.manifest.chunkSize)
    await fh.close()
    assert.ok(a.body.equals(want), 'chunk 4 holds the edited bytes')
  })

  it('a folder moved out of the share while stopped, a link to it left behind: its file is never served from outside', async function () {
    if (process.platform !== 'linux') this.skip() // the opened file's real path comes from /proc/self/fd
    const dir = await tempDir(cleanup)
    const share = join(dir, 'share')
    const data = join(dir, 'data')
    await mkdir(join(share, 'docs'), { recursive: true })
    await randomFile(join(share, 'docs', 'report.bin'), 256 * 1024)
    const first = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    await first.start()
    const old = first.getByName('docs/report.bin')
    assert.ok(old != null)
    await first.stop()
    // the owner moves the folder out (same device: the file keeps its inode and ctime) and
    // something leaves a link in its place, leading to where it went
    await rename(join(share, 'docs'), join(dir, 'private'))
    await symlink(join(dir, 'private'), join(share, 'docs'))

    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    cleanup.add(async () => { await index.stop() })
    await index.start({ cachedFirst: true, deferWatch: true })
    assert.ok(index.getByFileId(old.fileId) != null, 'shared unseen from the hash cache')
    const provider = await makeHost<{ chunkServer: ChunkServer }>(cleanup, { chunkServer: chunkServer({ source: index }) })
    const client = await makeHost(cleanup)
    const addr = provider.getMultiaddrs()[0].toString()
    for (const type of [ChunkRequest.Type.MANIFEST, ChunkRequest.Type.CHUNK]) {
      const a = await ask(client, addr, old.fileId, type, 0)
      assert.notEqual(a.status, ChunkResponse.Status.OK, `${ChunkRequest.Type[type]} answered OK from outside the share`)
      assert.equal(a.body.length, 0)
    }
    index.startWatching() // the scan: the link leads out of the share, so nothing under it is shared
    await index.scanned()
    assert.equal(index.getByFileId(old.fileId), undefined)
  })
})
