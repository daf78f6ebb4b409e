import { createHash } from 'node:crypto'
import { link, lstat, open, rename, statfs, unlink } from 'node:fs/promises'
import { DiskFullError, PartialFileError } from './errors.js'
import type { Manifest } from '../share/manifest.js'

/** File system helpers of the partial-file store. */

/** True when `path` is a regular file with exactly the manifest's content. */
export async function sameContent (path: string, manifest: Manifest): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined)
  if (st?.isFile() !== true || st.size !== manifest.size) return false
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(manifest.chunkSize)
    for (let i = 0; i < manifest.chunks; i++) {
      const len = manifest.chunkLength(i)
      const { bytesRead } = await fh.read(buf, 0, len, i * manifest.chunkSize)
      if (bytesRead !== len) return false
      const digest = createHash('sha256').update(buf.subarray(0, len)).digest()
      if (!digest.equals(manifest.chunkHash(i))) return false
    }
    return true
  } finally {
    await fh.close()
  }
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
  const fh = await open(dir, 'r').catch(() => undefined)
  await fh?.sync().catch(() => {}) // not every platform can fsync a directory
  await fh?.close()
}

/** Map a file system error to one clear line; a full disk gets its own error. */
export function fsError (err: any, what: string): Error {
  if (err instanceof DiskFullError || err instanceof PartialFileError) return err
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
