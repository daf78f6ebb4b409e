import assert from 'node:assert/strict'
import { open, readdir, readFile, stat, utimes, writeFile, copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { download } from '../../src/transfer/downloader.js'
import { CHUNK_PROTOCOL, PARTIAL_DIR } from '../../src/transfer/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from './helpers.js'
import type { TestProvider } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { DownloadProgress } from '../../src/transfer/downloader.js'

const KiB = 1024
const MiB = 1024 * KiB

describe('transfer/downloader', function () {
  this.timeout(30_000)
  const cleanup = new Cleanup()
  let a: TestProvider
  let b: TestProvider
  let client: Host
  let src: string

  before(async () => {
    src = await tempDir(cleanup)
    ;[a, b, client] = await Promise.all([makeProvider(cleanup), makeProvider(cleanup), makeHost(cleanup)])
  })
  after(async () => { await cleanup.run() })

  async function shared (name: string, size: number, ...on: TestProvider[]): Promise<SharedFile> {
    const file = await shareFile(await randomFile(join(src, name), size), name)
    for (const p of on) p.source.add(file)
    return file
  }

  for (const [label, size] of [['an empty file', 0], ['a 1-byte file', 1], ['exactly one chunk', 256 * KiB], ['one chunk + 1 byte', 256 * KiB + 1], ['24 MiB + 1 byte (1 MiB chunks)', 24 * MiB + 1]] as const) {
    it(`fetches ${label} byte-identical`, async () => {
      const file = await shared(`size-${size}.bin`, size, a)
      const out = await tempDir(cleanup)
      const events: DownloadProgress[] = []
      const r = await download({ node: client, fileId: file.fileId, name: file.name, providers: [a.info], outDir: out, onProgress: e => events.push(e) })
      assert.equal(r.path, join(out, file.name))
      assert.equal(r.size, size)
      assert.equal(await sha256File(r.path), await sha256File(file.path))
      assert.equal(r.resumedChunks, 0)
      assert.deepEqual(r.providersUsed, [a.info.peerId])
      assert.equal(Object.values(r.chunksFromPeer).reduce((x, y) => x + y, 0), file.manifest.chunks)
      assert.equal(events.at(-1)?.bytesDone, size)
      assert.deepEqual(await readdir(out), [file.name], 'no partial left behind')
    })
  }

  it('spreads chunks over two providers', async () => {
    const file = await shared('two.bin', 16 * MiB, a, b)
    // focus: false, or a busy machine may fetch from one of them only (focus.spec)
    const r = await download({ node: client, fileId: file.fileId.toString(), name: 'two.bin', providers: [a.info, b.info], outDir: await tempDir(cleanup), focus: false })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.ok((r.chunksFromPeer[a.info.peerId] ?? 0) > 0, JSON.stringify(r.chunksFromPeer))
    assert.ok((r.chunksFromPeer[b.info.peerId] ?? 0) > 0, JSON.stringify(r.chunksFromPeer))
    assert.deepEqual([...r.providersUsed].sort(), [a.info.peerId, b.info.peerId].sort())
  })

  it('completes from the other provider when one stops mid-download', async () => {
    const c = await makeProvider(cleanup)
    const file = await shared('vanish.bin', 24 * MiB, b, c)
    let stopped = false
    const r = await download({
      node: client,
      fileId: file.fileId,
      name: 'vanish.bin',
      providers: [c.info, b.info],
      outDir: await tempDir(cleanup),
      focus: false, // both in use when one vanishes (focus.spec has the reserve taking over)
      progressInterval: 5,
      onProgress: e => {
        if (!stopped && e.bytesDone > file.size / 4) {
          stopped = true
          // vanish at once: a graceful stop would let the transfers under way finish
          for (const conn of c.host.getConnections()) conn.abort(new Error('provider vanished'))
          void c.host.stop()
        }
      }
    })
    assert.ok(stopped, 'the provider was stopped during the download')
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.ok((r.chunksFromPeer[c.info.peerId] ?? 0) < file.manifest.chunks / 2, JSON.stringify(r.chunksFromPeer))
    assert.ok((r.chunksFromPeer[b.info.peerId] ?? 0) > file.manifest.chunks / 2, JSON.stringify(r.chunksFromPeer))
  })

  /** A provider whose copy was edited (same size, mtime restored) and who serves it anyway. */
  async function tampered (name: string, size: number): Promise<{ file: SharedFile, liar: TestProvider }> {
    const liar = await makeProvider(cleanup)
    const file = await shared(name, size, b)
    const copy = join(src, `${name}.liar`)
    await copyFile(file.path, copy)
    // whole seconds, so utimes can restore the mtime exactly
    const t = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
    await utimes(copy, t, t)
    const lie = await shareFile(copy, name)
    const fh = await open(copy, 'r+')
    for (let off = 100; off < size; off += 1 * MiB) await fh.write(Buffer.from('tampered'), 0, 8, off)
    await fh.close()
    await utimes(copy, t, t)
    const st = await stat(copy)
    assert.equal(st.mtimeMs, lie.mtimeMs, 'the mtime is restored')
    // the server sees the new ctime: only a provider whose index vouches for the edited file
    // (old manifest, new key) serves these bytes, i.e. a liar
    liar.source.add({ ...lie, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev })
    return { file, liar }
  }

  it('rejects chunks that do not match the manifest and completes from the honest provider', async () => {
    const { file, liar } = await tampered('liar.bin', 8 * MiB)
    // focus off: from one provider at the start, the liar might never be asked
    const r = await download({ node: client, fileId: file.fileId, name: 'liar.bin', providers: [liar.info, b.info], outDir: await tempDir(cleanup), focus: false })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.match(r.failedPeers[liar.info.peerId] ?? '', /bad-data/)
  })

  it('with no honest provider: a clear error, nothing under the final name, the partial kept', async () => {
    const { file, liar } = await tampered('only-liar.bin', 4 * MiB)
    const out = await tempDir(cleanup)
    await assert.rejects(
      download({ node: client, fileId: file.fileId, name: 'only-liar.bin', providers: [liar.info], outDir: out }),
      (err: Error) => err.name === 'ChunksUnavailableError' && /no provider could supply/.test(err.message) && /bad-data/.test(err.message)
    )
    assert.deepEqual(await readdir(out), [PARTIAL_DIR])
    const id = file.fileId.toString()
    assert.deepEqual((await readdir(join(out, PARTIAL_DIR))).sort(), [`${id}.part`, `${id}.state`])
  })

  it('resumes an interrupted download and fetches only the missing chunks', async () => {
    const file = await shared('resume.bin', 20 * MiB, a)
    const out = await tempDir(cleanup)
    const ctrl = new AbortController()
    await assert.rejects(download({
      node: client,
      fileId: file.fileId,
      name: 'resume.bin',
      providers: [a.info],
      outDir: out,
      signal: ctrl.signal,
      progressInterval: 5,
      onProgress: e => { if (e.bytesDone >= file.size / 3) ctrl.abort() }
    }), (err: Error) => err.name === 'DownloadAbortedError')
    assert.deepEqual(await readdir(out), [PARTIAL_DIR])

    const r = await download({ node: client, fileId: file.fileId, name: 'resume.bin', providers: [a.info], outDir: out })
    const fetched = Object.values(r.chunksFromPeer).reduce((x, y) => x + y, 0)
    assert.ok(r.resumedChunks >= file.manifest.chunks / 3, `resumed ${r.resumedChunks} of ${file.manifest.chunks}`)
    assert.equal(fetched, file.manifest.chunks - r.resumedChunks)
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.deepEqual(await readdir(out), ['resume.bin'])
  })

  it('does not trust a state file that disagrees with the manifest', async () => {
    const file = await shared('badstate.bin', 1 * MiB, a)
    const out = await tempDir(cleanup)
    const id = file.fileId.toString()
    await download({ node: client, fileId: file.fileId, name: 'first.bin', providers: [a.info], outDir: out })
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(out, PARTIAL_DIR))
    await writeFile(join(out, PARTIAL_DIR, `${id}.part`), Buffer.alloc(file.size))
    await writeFile(join(out, PARTIAL_DIR, `${id}.state`), JSON.stringify({ version: 1, fileId: 'other', size: file.size, chunkSize: file.manifest.chunkSize, done: '/w==' }))
    const r = await download({ node: client, fileId: file.fileId, name: 'second.bin', providers: [a.info], outDir: out })
    assert.equal(r.resumedChunks, 0)
    assert.equal(await sha256File(r.path), await sha256File(file.path))
  })

  it('keeps hostile names inside the output folder', async () => {
    const file = await shared('hostile.bin', 1000, a)
    const out = await tempDir(cleanup)
    const r = await download({ node: client, fileId: file.fileId, name: '../../../tmp/evil\u0000.bin', providers: [a.info], outDir: out })
    assert.equal(r.path, join(out, 'tmp', 'evil_.bin'))
    await assert.rejects(download({ node: client, fileId: file.fileId, name: '../..', providers: [a.info], outDir: out }),
      (err: Error) => err.name === 'InvalidNameError')
  })

  it('never overwrites: same content counts as done, other content gets a numbered name', async () => {
    const file = await shared('exists.txt', 5000, a)
    const out = await tempDir(cleanup)
    await copyFile(file.path, join(out, 'exists.txt'))
    const same = await download({ node: client, fileId: file.fileId, name: 'exists.txt', providers: [a.info], outDir: out })
    assert.equal(same.alreadyPresent, true)
    assert.equal(same.path, join(out, 'exists.txt'))

    await writeFile(join(out, 'other.txt'), 'something else')
    const r = await download({ node: client, fileId: file.fileId, name: 'other.txt', providers: [a.info], outDir: out })
    assert.equal(r.path, join(out, 'other (1).txt'))
    assert.equal(await readFile(join(out, 'other.txt'), 'utf8'), 'something else')
    assert.equal(await sha256File(r.path), await sha256File(file.path))
  })

  it('fails a request that makes no progress and completes from another provider', async () => {
    const file = await shared('stall.bin', 4 * MiB, b)
    // a provider that serves the manifest, then never answers a chunk request
    const staller = await makeHost(cleanup)
    await staller.handle(CHUNK_PROTOCOL, (stream) => {
      const reader = new StreamReader(stream)
      void (async () => {
        for (let f; (f = await reader.readLp(1024)) != null;) {
          if (ChunkRequest.decode(f).type !== ChunkRequest.Type.MANIFEST) continue
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: file.manifest.bytes.byteLength })))
          stream.send(file.manifest.bytes)
        }
      })().catch(() => {})
    })
    const info = { peerId: staller.peerId.toString(), addrs: staller.getMultiaddrs().map(String) }
    // with an honest provider beside it: the honest one ends up fetching everything
    const r = await download({ node: client, fileId: file.fileId, name: 'stall.bin', providers: [info, b.info], outDir: await tempDir(cleanup), chunkTimeout: 300 })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.equal(r.chunksFromPeer[info.peerId], undefined)
    // alone: its requests time out, it is dropped after repeated failures, the error says why
    const t0 = Date.now()
    await assert.rejects(download({ node: client, fileId: file.fileId, name: 'stall.bin', providers: [info], outDir: await tempDir(cleanup), chunkTimeout: 300 }),
      (err: Error) => err.name === 'ChunksUnavailableError' && /timeout/.test(err.message))
    assert.ok(Date.now() - t0 < 10_000)
  })

  it('does not trust a manifest that does not hash to the file id', async () => {
    const file = await shared('wrong-manifest.bin', 1000, b)
    const other = await shareFile(await randomFile(join(src, 'other-manifest.bin'), 2000), 'x')
    const liar = await makeHost(cleanup)
    await liar.handle(CHUNK_PROTOCOL, (stream) => {
      const reader = new StreamReader(stream)
      void reader.readLp(1024).then(() => {
        stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: other.manifest.bytes.byteLength })))
        stream.send(other.manifest.bytes)
      }).catch(() => {})
    })
    const info = { peerId: liar.peerId.toString(), addrs: liar.getMultiaddrs().map(String) }
    await assert.rejects(download({ node: client, fileId: file.fileId, providers: [info], outDir: await tempDir(cleanup) }),
      (err: Error) => err.name === 'ManifestUnavailableError' && /InvalidManifestError/.test(err.message))
    // with an honest provider beside it, the download goes ahead without the liar
    const r = await download({ node: client, fileId: file.fileId, name: 'ok.bin', providers: [info, b.info], outDir: await tempDir(cleanup) })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.equal(r.chunksFromPeer[info.peerId], undefined)
  })

  it('adapts to a provider that allows fewer streams than we open', async () => {
    const narrow = await makeProvider(cleanup, { maxInboundStreams: 2 })
    const file = await shared('narrow.bin', 8 * MiB, narrow)
    const r = await download({ node: client, fileId: file.fileId, name: 'narrow.bin', providers: [narrow.info], outDir: await tempDir(cleanup), streamsPerProvider: 6 })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.deepEqual(r.failedPeers, {})
  })

  it('fails clearly when no provider has the file', async () => {
    const file = await shareFile(await randomFile(join(src, 'nowhere.bin'), 10), 'nowhere.bin')
    await assert.rejects(download({ node: client, fileId: file.fileId, providers: [a.info, b.info], outDir: await tempDir(cleanup) }),
      (err: Error) => err.name === 'ManifestUnavailableError' && /NOT_FOUND/.test(err.message))
  })
})
