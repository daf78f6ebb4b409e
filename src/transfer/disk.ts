import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { link, lstat, open, rename, statfs, unlink } from 'node:fs/promises'
import { DiskFullError, PartialFileError, UnsafePathError } from './errors.js'
import { identityOf, openForRead } from './out-folder.js'
import type { FileIdentity } from './out-folder.js'
import type { FileHandle } from 'node:fs/promises'
import type { Manifest } from '../wire/file-manifest.js'

/** File system helpers of the partial-file store. */

/** True when `path` is a regular file (not a link) with exactly the manifest's content. */
export async function sameContent (path: string, manifest: Manifest): Promise<boolean> {
  return await contentIdentity(path, manifest) != null
}

/** The identity of the regular file at `path` (a link is not followed) when it has exactly
 * the manifest's content; undefined otherwise. */
export async function contentIdentity (path: string, manifest: Manifest): Promise<FileIdentity | undefined> {
  const opened = await openForRead(path)
  if (opened == null) return undefined
  const { fh, st } = opened
  try {
    if (st.size !== manifest.size) return undefined
    const buf = Buffer.allocUnsafe(manifest.chunkSize)
    for (let i = 0; i < manifest.chunks; i++) {
      if (!await chunkMatches(fh, manifest, i, buf)) return undefined
    }
    return identityOf(st)
  } finally {
    await fh.close()
  }
}

/** True when chunk `index` on disk hashes to the manifest's value. `buf` holds a chunk. */
export async function chunkMatches (fh: FileHandle, manifest: Manifest, index: number, buf: Buffer): Promise<boolean> {
  const len = manifest.chunkLength(index)
  let got = 0
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, index * manifest.chunkSize + got)
    if (bytesRead === 0) return false
    got += bytesRead
  }
  return createHash('sha256').update(buf.subarray(0, len)).digest().equals(manifest.chunkHash(index))
}

/** Put `from` at `to` unless `to` exists; false when it does. */
export async function placeNoClobber (from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
  } catch (err: any) {
    if (err.code === 'EEXIST') return false
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS'].includes(err.code)) throw err
    // no hard links here (FAT, some network shares): rename, checked just before
    if (await exists(to)) return false
    await rename(from, to)
    return true
  }
  await unlink(from)
  return true
}

/** Fail early, with the figures, when the disk cannot hold `needed` more bytes. */
export async function ensureSpace (dir: string, needed: number): Promise<void> {
  if (needed <= 0) return
  const fs = await statfs(dir).catch(() => undefined)
  if (fs != null && fs.bavail * fs.bsize < needed) {
    throw Object.assign(new Error('no space'), { code: 'ENOSPC', needed, available: fs.bavail * fs.bsize })
  }
}

export async function exists (path: string): Promise<boolean> {
  return await lstat(path).then(() => true, (err: any) => {
    if (err.code === 'ENOENT') return false
    throw err
  })
}

export async function syncDir (dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined)
  await fh?.sync().catch(() => {}) // not every platform can fsync a directory
  await fh?.close()
}

/** Map a file system error to one clear line; a full disk gets its own error. */
export function fsError (err: any, what: string): Error {
  if (err instanceof DiskFullError || err instanceof PartialFileError || err instanceof UnsafePathError) return err
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT') {
    const need = typeof err.needed === 'number' ? ` (${formatBytes(err.needed)} needed, ${formatBytes(err.available)} free)` : ''
    return new DiskFullError(`disk full: ${what}${need}; free some space and run get again to resume`)
  }
  return new PartialFileError(`${what}: ${err?.message ?? String(err)}`)
}

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(1)} ${units[u]}`
}

/** Write all of `data` at `pos`, however short the writes the system makes. */
export async function writeAll (fh: FileHandle, data: Uint8Array, pos: number): Promise<void> {
  for (let off = 0; off < data.byteLength;) {
    const { bytesWritten } = await fh.write(data, off, data.byteLength - off, pos + off)
    off += bytesWritten
  }
}
