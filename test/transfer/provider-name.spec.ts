import assert from 'node:assert/strict'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { download } from '../../src/transfer/downloader.js'
import { CHUNK_PROTOCOL } from '../../src/transfer/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from './helpers.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Stream } from '@libp2p/interface'

/** A provider that serves `file` honestly but sends `name` with its manifest. */
async function namingProvider (cleanup: Cleanup, file: SharedFile, name: string): Promise<{ peerId: string, addrs: string[] }> {
  const host = await makeHost(cleanup)
  const streams = new Set<Stream>()
  cleanup.add(() => { for (const s of streams) s.abort(new Error('test over')) })
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    streams.add(stream)
    const reader = new StreamReader(stream)
    void (async () => {
      const fh = await open(file.path, 'r')
      try {
        for (let f; (f = await reader.readLp(1024)) != null;) {
          const req = ChunkRequest.decode(f)
          if (req.type === ChunkRequest.Type.MANIFEST) {
            stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: file.manifest.bytes.byteLength, name })))
            stream.send(file.manifest.bytes)
            continue
          }
          const length = file.manifest.chunkLength(req.index)
          const buf = Buffer.alloc(length)
          await fh.read(buf, 0, length, req.index * file.manifest.chunkSize)
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length })))
          stream.send(buf)
        }
      } catch {} finally { await fh.close() }
    })()
  })
  return { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) }
}

describe('transfer: a download by file id alone takes the name its provider shares it under', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  it("an honest provider's name (its last segment) is the saved name", async () => {
    const dir = await tempDir(cleanup)
    const provider = await makeProvider(cleanup)
    const file = provider.source.add(await shareFile(await randomFile(join(dir, 'src.bin'), 700 * 1024), 'docs/report.pdf'))
    const client = await makeHost(cleanup)
    const r = await download({ node: client, fileId: file.fileId, providers: [provider.info], outDir: join(dir, 'out') })
    assert.equal(r.path, join(dir, 'out', 'report.pdf'))
    assert.equal(r.name, 'report.pdf')
    assert.equal(await sha256File(r.path), await sha256File(file.path))
  })

  for (const [hostile, expected] of [['../../../escape.txt', 'escape.txt'], ['..', null], ['', null]] as const) {
    it(`a provider's name ${JSON.stringify(hostile)} cannot place the file outside --out (saved as ${expected ?? 'the file id'})`, async () => {
      const dir = await tempDir(cleanup)
      const file = await shareFile(await randomFile(join(dir, 'src.bin'), 1000), 'x')
      const provider = await namingProvider(cleanup, file, hostile)
      const client = await makeHost(cleanup)
      const r = await download({ node: client, fileId: file.fileId, providers: [provider], outDir: join(dir, 'out', 'deep') })
      assert.equal(r.path, join(dir, 'out', 'deep', expected ?? file.fileId.toString()))
      assert.deepEqual((await readdir(dir)).sort(), ['out', 'src.bin'])
      assert.deepEqual(await readdir(join(dir, 'out')), ['deep'])
    })
  }
})
