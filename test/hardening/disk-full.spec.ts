import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, open, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { download } from '../../src/transfer/downloader.js'
import { CHUNK_PROTOCOL, PARTIAL_DIR } from '../../src/transfer/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, makeHost, randomFile, sha256File, shareFile, tempDir } from '../transfer/helpers.js'
import { until } from './net.js'
import type { SharedFile } from '../../src/share/types.js'

const run = promisify(execFile)
const MiB = 1024 * 1024
/** Chunks served at once; the rest wait for the gate. */
const FIRST_CHUNKS = 16
/** A write this long after the last state flush records progress (STATE_FLUSH_INTERVAL). */
const FLUSH_WAIT = 1_200

/** A provider that serves the first chunks at once, one more on `step()`, the rest on `open()`. */
async function gatedProvider (cleanup: Cleanup, file: SharedFile): Promise<{ info: { peerId: string, addrs: string[] }, step: () => void, open: () => void }> {
  const host = await makeHost(cleanup)
  let release!: () => void
  let releaseOne!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const oneMore = new Promise<void>(resolve => { releaseOne = resolve })
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    const reader = new StreamReader(stream)
    void (async () => {
      const fh = await open(file.path, 'r')
      try {
        for (let f; (f = await reader.readLp(1024)) != null;) {
          const req = ChunkRequest.decode(f)
          let body: Uint8Array = file.manifest.bytes
          if (req.type === ChunkRequest.Type.CHUNK) {
            if (req.index === FIRST_CHUNKS) await oneMore
            else if (req.index > FIRST_CHUNKS) await gate
            body = Buffer.alloc(file.manifest.chunkLength(req.index))
            await fh.read(body, 0, body.byteLength, req.index * file.manifest.chunkSize)
          }
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: body.byteLength })))
          stream.send(body)
        }
      } finally {
        await fh.close()
      }
    })().catch(() => {})
  }, { maxInboundStreams: 64 })
  return { info: { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) }, step: releaseOne, open: release }
}

describe('hardening: the disk fills up in the middle of a download', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  let disk: string

  before(async function () {
    disk = await tempDir(cleanup, 'fsnode-disk-')
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', disk])
    } catch (err: any) {
      console.log(`      skipped: cannot mount a tmpfs (${String(err.stderr ?? err.message).trim()})`)
      this.skip()
    }
    cleanup.add(async () => { await run('umount', ['-l', disk]).catch(() => {}) })
  })
  after(async () => { await cleanup.run() })

  it('fails with DiskFullError, keeps the verified chunks, and resumes from them once there is room', async () => {
    const src = await tempDir(cleanup)
    const file = await shareFile(await randomFile(join(src, 'data.bin'), 12 * MiB), 'data.bin') // 48 chunks of 256 KiB
    const provider = await gatedProvider(cleanup, file)
    const client = await makeHost(cleanup)
    const out = join(disk, 'downloads')
    await mkdir(out)
    const statePath = join(out, PARTIAL_DIR, `${file.fileId.toString()}.state`)

    const first = download({ node: client, fileId: file.fileId, name: 'data.bin', providers: [provider.info], outDir: out, chunkTimeout: 20_000 })
    first.catch(() => {})
    // the first chunks are written; one more write after the flush interval records them all
    await new Promise(resolve => setTimeout(resolve, FLUSH_WAIT))
    provider.step()
    await until(async () => (await readFile(statePath).catch(() => undefined)) != null, 'the first progress record', 5_000)
    const filler = join(disk, 'filler')
    const { bavail, bsize } = await statfs(disk)
    await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 512 * 1024)))
    provider.open()

    await assert.rejects(first, (err: Error) => {
      assert.equal(err.name, 'DiskFullError')
      assert.match(err.message, /^disk full: .*free some space and run get again to resume$/)
      return true
    })
    assert.deepEqual(await readdir(out), [PARTIAL_DIR], 'nothing under the final name')
    const state = JSON.parse(await readFile(statePath, 'utf8'))
    const recorded = [...Buffer.from(state.done, 'base64')].reduce((n, b) => n + popcount(b), 0)
    assert.ok(recorded > FIRST_CHUNKS, `${recorded} chunks recorded before the disk filled`)

    await rm(filler)
    const r = await download({ node: client, fileId: file.fileId, name: 'data.bin', providers: [provider.info], outDir: out })
    assert.ok(r.resumedChunks > FIRST_CHUNKS, `resumed ${r.resumedChunks}`)
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.deepEqual(await readdir(out), ['data.bin'])
  })
})

function popcount (b: number): number {
  let n = 0
  for (; b > 0; b >>= 1) n += b & 1
  return n
}
