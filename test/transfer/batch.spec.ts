import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { fetchBatch } from '../../src/transfer/batch.js'
import { BATCH_STREAMS, CHUNK_PROTOCOL, PARTIAL_DIR } from '../../src/transfer/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, countingDialer, makeHost, makeProvider, randomFile, shareFile, tempDir } from './helpers.js'
import type { BatchFile } from '../../src/transfer/batch.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Stream } from '@libp2p/interface'

const KiB = 1024

/** Every file under `dir` but the partial folder, relative, sorted. */
async function tree (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !relative(dir, e.parentPath).startsWith(PARTIAL_DIR)) out.push(relative(dir, join(e.parentPath, e.name)))
  }
  return out.sort()
}

function asBatch (f: SharedFile, size = f.size): BatchFile {
  return { fileId: f.fileId, name: f.name, size }
}

/** A chunk protocol handler that answers MANIFEST and CHUNK for `files` in order, except that
 * `lie(file)` may replace an answer's manifest bytes and chunk bytes. */
async function scriptedProvider (cleanup: Cleanup, files: SharedFile[], lie: (f: SharedFile, kind: 'manifest' | 'chunk', honest: Uint8Array) => Uint8Array,
  seen?: { sends: number }): Promise<{ peerId: string, addrs: string[] }> {
  const host = await makeHost(cleanup)
  const streams = new Set<Stream>()
  cleanup.add(() => { for (const s of streams) s.abort(new Error('test over')) })
  const byId = new Map(files.map(f => [f.fileId.toString(), f]))
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    streams.add(stream)
    // one message per send() of the client (a yamux data frame each)
    if (seen != null) stream.addEventListener('message', () => { seen.sends++ })
    const reader = new StreamReader(stream)
    void (async () => {
      for (let frame; (frame = await reader.readLp(1024)) != null;) {
        const req = ChunkRequest.decode(frame)
        const { CID } = await import('multiformats/cid')
        const f = byId.get(CID.decode(req.fileId).toString())
        if (f == null) {
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.NOT_FOUND, length: 0 })))
          await stream.close()
          return
        }
        const honest = req.type === ChunkRequest.Type.MANIFEST ? f.manifest.bytes : await readFile(f.path)
        const bytes = lie(f, req.type === ChunkRequest.Type.MANIFEST ? 'manifest' : 'chunk', honest)
        stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: bytes.byteLength })))
        stream.send(bytes)
      }
      await stream.close()
    })().catch(() => {})
  })
  return { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) }
}

function provider (info: { peerId: string, addrs: string[] }): { peerId: ReturnType<typeof peerIdFromString>, addrs: ReturnType<typeof multiaddr>[] } {
  return { peerId: peerIdFromString(info.peerId), addrs: info.addrs.map(a => multiaddr(a)) }
}

describe('transfer: a batch of small files from one provider', function () {
  this.timeout(120_000)
  const cleanup = new Cleanup()
  let dir: string
  let client: Host
  const files: SharedFile[] = []

  before(async () => {
    dir = await tempDir(cleanup, 'fsnode-batch-')
    client = await makeHost(cleanup)
    for (let i = 0; i < 60; i++) {
      files.push(await shareFile(await randomFile(join(dir, `src-${i}`), 16 * KiB + i), `photos/${i % 3}/img-${i}.jpg`))
    }
    await writeFile(join(dir, 'src-empty'), '')
    files.push(await shareFile(join(dir, 'src-empty'), 'photos/empty.txt'))
  })
  after(async () => { await cleanup.run() })

  it('fetches 61 files over fewer streams than files, each verified and placed under its name', async () => {
    const p = await makeProvider(cleanup)
    for (const f of files) p.source.add(f)
    const out = await tempDir(cleanup)
    const counting = countingDialer(client)
    const r = await fetchBatch({ node: counting.node, provider: provider(p.info), files: files.map(f => asBatch(f)), outDir: out })
    assert.deepEqual(r.rest, [])
    assert.equal(r.placed.length, files.length)
    assert.deepEqual(await tree(out), files.map(f => f.name).sort())
    for (const f of files) assert.ok((await readFile(join(out, f.name))).equals(await readFile(f.path)), f.name)
    assert.ok(counting.streams() <= BATCH_STREAMS, `${counting.streams()} streams for ${files.length} files`)
    assert.ok(counting.streams() < files.length)
  })

  it('hands back what it cannot place: a file larger than listed, one the provider does not have', async () => {
    const p = await makeProvider(cleanup)
    const big = p.source.add(await shareFile(await randomFile(join(dir, 'big'), 300 * KiB), 'photos/big.bin'))
    const absent = await shareFile(await randomFile(join(dir, 'absent'), 1000), 'photos/absent.bin')
    for (const f of files.slice(0, 10)) p.source.add(f)
    const out = await tempDir(cleanup)
    const asked = [asBatch(big, 1000), ...files.slice(0, 5).map(f => asBatch(f)), asBatch(absent), ...files.slice(5, 10).map(f => asBatch(f))]
    const r = await fetchBatch({ node: client, provider: provider(p.info), files: asked, outDir: out })
    assert.deepEqual(r.rest.map(x => x.file.name).sort(), ['photos/absent.bin', 'photos/big.bin'])
    assert.match(r.rest.find(x => x.file.name === 'photos/big.bin')?.reason ?? '', /2 chunks/)
    assert.match(r.rest.find(x => x.file.name === 'photos/absent.bin')?.reason ?? '', /NOT_FOUND/)
    assert.deepEqual(await tree(out), files.slice(0, 10).map(f => f.name).sort())
  })

  it('asks for files in groups, not one write per file', async () => {
    const some = files.filter(f => f.size > 0)
    const seen = { sends: 0 }
    const honest = await scriptedProvider(cleanup, some, (_f, _kind, bytes) => bytes, seen)
    const out = await tempDir(cleanup)
    const r = await fetchBatch({ node: client, provider: provider(honest), files: some.map(f => asBatch(f)), outDir: out, streams: 1, pipeline: 16 })
    assert.equal(r.placed.length, some.length)
    // 60 files, 16 asked at first, then 8 at a time: 7 writes (60 when each file was a write)
    assert.ok(seen.sends <= 10, `${seen.sends} writes for ${some.length} files`)
  })

  const lies: Array<[string, (all: SharedFile[]) => (f: SharedFile, kind: 'manifest' | 'chunk', honest: Uint8Array) => Uint8Array, RegExp]> = [
    ["answers each file with the next file's manifest and bytes", all => (f, kind) => {
      const next = all[(all.indexOf(f) + 1) % all.length]
      return kind === 'manifest' ? next.manifest.bytes : Buffer.alloc(0)
    }, /manifest does not match/],
    ['sends random bytes for the 6th file', all => (f, kind, honest) => kind === 'chunk' && f === all[5] ? randomBytes(honest.byteLength) : honest, /does not match the manifest/],
    ['announces a chunk larger than any small file', () => (_f, kind, honest) => kind === 'chunk' ? Buffer.alloc(300 * KiB) : honest, /announced/]
  ]
  for (const [what, make, why] of lies) {
    it(`a provider that ${what} places no wrong file and hands every other file back`, async () => {
      const some = files.slice(0, 20).filter(f => f.size > 0)
      const liar = await scriptedProvider(cleanup, some, make(some))
      const out = await tempDir(cleanup)
      const r = await fetchBatch({ node: client, provider: provider(liar), files: some.map(f => asBatch(f)), outDir: out, pipeline: 4 })
      // whatever was placed is the true content under the true name; the rest is handed back
      for (const p of r.placed) assert.ok((await readFile(p.path)).equals(await readFile(files.find(f => f.name === p.file.name)?.path ?? '')), p.file.name)
      assert.equal(r.placed.length + r.rest.length, some.length)
      assert.ok(r.rest.length > 0)
      assert.ok(r.rest.some(x => why.test(x.reason)), r.rest.map(x => x.reason).join('; '))
      for (const name of await tree(out)) assert.ok(r.placed.some(p => p.file.name === name), `${name} placed but not reported`)
    })
  }
})
