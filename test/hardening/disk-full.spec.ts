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
import type { SharedFile } from '../../src/share/types.js'

const run = promisify(execFile)
const MiB = 1024 * 1024
/** Chunks served at once; each later one waits for `step()` (or `open()`). */
const FIRST_CHUNKS = 16
/** Pause between two released chunks while waiting for a flush: the flush interval is 1 s, so a
 * few chunks at most go by. Pacing only; what the test waits for is the state file's content. */
const STEP_PAUSE = 300

/** A provider that serves the first chunks at once, then one more per `step()`, all on `open()`. */
async function gatedProvider (cleanup: Cleanup, file: SharedFile): Promise<{ info: { peerId: string, addrs: string[] }, step: () => void, open: () => void, served: () => number }> {
  const host = await makeHost(cleanup)
  let allowed = FIRST_CHUNKS // chunks below this index are served
  let served = 0
  let wake = (): void => {}
  let moved = new Promise<void>(resolve => { wake = resolve })
  const release = (n: number): void => {
    allowed = n
    wake()
    moved = new Promise<void>(resolve => { wake = resolve })
  }
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    const reader = new StreamReader(stream)
    void (async () => {
      const fh = await open(file.path, 'r')
      try {
        for (let f; (f = await reader.readLp(1024)) != null;) {
          const req = ChunkRequest.decode(f)
          let body: Uint8Array = file.manifest.bytes
          if (req.type === ChunkRequest.Type.CHUNK) {
            while (req.index >= allowed) await moved
            body = Buffer.alloc(file.manifest.chunkLength(req.index))
            await fh.read(body, 0, body.byteLength, req.index * file.manifest.chunkSize)
          }
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: body.byteLength })))
          stream.send(body)
          if (req.type === ChunkRequest.Type.CHUNK) served++
        }
      } finally {
        await fh.close()
      }
    })().catch(() => {})
  }, { maxInboundStreams: 64 })
  return {
    info: { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) },
    step: () => { release(allowed + 1) },
    open: () => { release(Number.POSITIVE_INFINITY) },
    served: () => served
  }
}

/** Chunks the state file records as verified and on disk (0 while there is none). */
async function recordedChunks (statePath: string): Promise<number> {
  const text = await readFile(statePath, 'utf8').catch(() => undefined)
  if (text == null) return 0
  try {
    return [...Buffer.from(JSON.parse(text).done, 'base64')].reduce((n, b) => n + popcount(b), 0)
  } catch {
    return 0 // replaced atomically, so never half-written; but be safe
  }
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
    // Progress is recorded by a write at least a flush interval after the last flush, and when
    // that interval started is the downloader's business: release one chunk at a time until the
    // state file records more than the first chunks (the real condition), not after a guessed sleep.
    const deadline = Date.now() + 30_000
    let steps = 0
    while (await recordedChunks(statePath) <= FIRST_CHUNKS) {
      if (Date.now() > deadline) throw new Error(`no progress record beyond ${FIRST_CHUNKS} chunks: ${await recordedChunks(statePath)} recorded`)
      // the next chunk, once the last one released went out: a loaded machine gets no more
      // chunks released, only the same few spread over a longer time
      if (provider.served() >= FIRST_CHUNKS + steps) { provider.step(); steps++ }
      await new Promise(resolve => setTimeout(resolve, STEP_PAUSE))
    }
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
    const recorded = await recordedChunks(statePath)
    assert.ok(recorded > FIRST_CHUNKS && recorded < file.manifest.chunks, `${recorded} chunks recorded before the disk filled`)

    await rm(filler)
    const r = await download({ node: client, fileId: file.fileId, name: 'data.bin', providers: [provider.info], outDir: out })
    // exactly what was recorded is reused, and only the rest is fetched
    assert.equal(r.resumedChunks, recorded)
    assert.equal(Object.values(r.chunksFromPeer).reduce((a, b) => a + b, 0), file.manifest.chunks - recorded)
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.deepEqual(await readdir(out), ['data.bin'])
  })
})

function popcount (b: number): number {
  let n = 0
  for (; b > 0; b >>= 1) n += b & 1
  return n
}
