import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { DownloadAbortedError, LocalSourceChangedError } from './errors.js'
import { fsError } from './disk.js'
import { alignedBuffer } from './direct-io.js'
import { PartialFile } from './partial-file.js'
import { Progress } from './progress.js'
import { sanitizeName } from './sanitize.js'
import { presentCopy, withLock } from './downloader.js'
import type { DownloadProgress } from './progress.js'
import type { ServedFile } from './source.js'

const log = logger('fsnode:transfer:local')

export interface LocalCopyOptions {
  /** A file this node shares, with the manifest it is announced under. */
  source: ServedFile
  /** Name to save under, '/'-separated (sanitised). */
  name: string
  outDir: string
  signal?: AbortSignal
  onProgress?: (e: DownloadProgress) => void
  /** Write whole chunks of a big file with O_DIRECT where possible (direct-io.ts). @default true */
  directWrites?: boolean
}

export interface LocalCopyResult {
  path: string
  size: number
  seconds: number
  bytesPerSecond: number
  resumedChunks: number
  /** A file with this content was already at the path: nothing was copied. */
  alreadyPresent: boolean
}

/**
 * `get` of a file this node shares itself: no peer is needed, the bytes are on this disk. Goes
 * the way a download goes (same partial file, same checks, same placement under `outDir`):
 * every chunk is hashed against the manifest before it is written, and the file appears under
 * its name only when complete. A shared file edited since it was hashed fails the check.
 */
export async function copyLocal (opts: LocalCopyOptions): Promise<LocalCopyResult> {
  const started = Date.now()
  const { source, outDir, name } = opts
  const { manifest } = source
  const target = sanitizeName(name, outDir) // a hostile name fails before anything is read
  const signal = opts.signal ?? new AbortController().signal
  return await withLock(`${resolve(outDir)}\u0000${manifest.fileId.toString()}`, async () => {
    const present = await presentCopy(outDir, target.relative, manifest)
    if (present != null) {
      opts.onProgress?.({ bytesDone: manifest.size, bytesTotal: manifest.size, peers: 0, rate: 0 })
      return { path: present.path, size: manifest.size, seconds: (Date.now() - started) / 1000, bytesPerSecond: 0, resumedChunks: manifest.chunks, alreadyPresent: true }
    }
    let fh
    try {
      fh = await open(source.path, 'r')
    } catch (err: any) {
      if (err.code === 'ENOENT') throw new LocalSourceChangedError(`${source.path} is no longer on disk`)
      throw fsError(err, `cannot read ${source.path}`)
    }
    const partial = await PartialFile.open({ outDir, manifest, direct: opts.directWrites ?? true }).catch(async err => { await fh.close(); throw err })
    const done = new Set(partial.doneIndexes())
    const progress = new Progress(manifest.size, [...done].reduce((n, i) => n + manifest.chunkLength(i), 0), opts.onProgress)
    progress.start(() => 0)
    let copied = 0
    try {
      const st = await fh.stat()
      if (st.size !== manifest.size) throw new LocalSourceChangedError(`${source.path} changed on disk since it was indexed (${st.size} bytes, the index says ${manifest.size})`)
      const size = Math.min(manifest.chunkSize, Math.max(manifest.size, 1))
      // page-aligned when the chunks go direct (O_DIRECT refuses Node's own buffers)
      const buf = partial.writesDirect ? alignedBuffer(size) : Buffer.allocUnsafe(size)
      for (let i = 0; i < manifest.chunks; i++) {
        if (done.has(i)) continue
        if (signal.aborted) throw new DownloadAbortedError(`copy of ${name} aborted; run get again to resume`)
        const length = manifest.chunkLength(i)
        const chunk = buf.subarray(0, length)
        const { bytesRead } = await fh.read(chunk, 0, length, i * manifest.chunkSize)
        const hash = createHash('sha256').update(chunk.subarray(0, bytesRead)).digest()
        if (bytesRead !== length || !hash.equals(manifest.chunkHash(i))) {
          throw new LocalSourceChangedError(`${source.path} changed on disk since it was indexed (chunk ${i} no longer matches)`)
        }
        await partial.write(i, chunk)
        progress.add(length)
        copied += length
      }
    } catch (err) {
      await partial.close().catch(() => {}) // what is verified stays, recorded, for a resume
      log('local copy of %s failed: %s', source.path, (err as Error).message)
      throw err
    } finally {
      progress.stop()
      await fh.close().catch(() => {})
    }
    const placed = await partial.complete(name)
    const seconds = (Date.now() - started) / 1000
    return { path: placed.path, size: manifest.size, seconds, bytesPerSecond: seconds > 0 ? copied / seconds : 0, resumedChunks: partial.resumed, alreadyPresent: placed.existed }
  })
}
