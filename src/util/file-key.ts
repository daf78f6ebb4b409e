import { fstatSync, readlinkSync } from 'node:fs'
import { platform } from 'node:os'
import { sep } from 'node:path'
import { logger } from '@libp2p/logger'
import type { Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'

const log = logger('fsnode:file-key')

/**
 * The identity of a file version on disk: what the hash cache, the index and the chunk server
 * compare. ctime, not mtime: any write or utimes sets ctime to now and no user can set it
 * back, so a file edited in place with its mtime restored (`touch -r`) still shows as changed.
 * Device and inode say which file it is: the same path reached through a swapped symlink is
 * another file.
 */
export interface FileKey {
  size: number
  ctimeMs: number
  ino: number
  dev: number
}

export function keyOf (s: Stats): FileKey {
  return { size: s.size, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev }
}

/** The same file (device and inode), whatever its content. */
export function sameFile (a: Pick<FileKey, 'dev' | 'ino'>, b: Pick<FileKey, 'dev' | 'ino'>): boolean {
  return a.ino === b.ino && a.dev === b.dev
}

/** The same file, unchanged. */
export function sameKey (a: FileKey, b: FileKey): boolean {
  return sameFile(a, b) && a.size === b.size && a.ctimeMs === b.ctimeMs
}

/** What an open handle turned out to be, against the file the index holds. */
export type HandleCheck = 'same' | 'changed' | 'other-file'

/**
 * Check an open handle against the file the scan found: by the handle itself (fstat), never
 * by path, since any folder along the path may have been swapped for a symlink leading out of
 * the share after the scan. 'other-file' means the path no longer leads to that file.
 *
 * Synchronous, as is openedInside: both ask the kernel about a handle already open (its inode,
 * its /proc entry), answered from memory, while a trip through libuv's thread pool costs the
 * event loop more than the call (a provider made four per small file; see batch-placer.ts).
 */
export function checkHandle (fh: FileHandle, expected: FileKey, path: string): HandleCheck {
  const st = fstatSync(fh.fd)
  if (!sameFile(st, expected)) {
    log('%s now opens another file (dev %d ino %d, indexed %d %d): not reading it', path, st.dev, st.ino, expected.dev, expected.ino)
    return 'other-file'
  }
  return sameKey(keyOf(st), expected) ? 'same' : 'changed'
}

/** Where the kernel says an open file is, on Linux; undefined where it cannot tell. */
function openedPath (fh: FileHandle): string | undefined {
  if (platform() !== 'linux') return undefined
  try {
    return readlinkSync(`/proc/self/fd/${fh.fd}`)
  } catch {
    return undefined
  }
}

/** True when `child` is `parent` or inside it (both absolute, normalised). */
export function isInside (parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep)
}

/**
 * True unless the kernel says the open file lies outside `within` or inside an excluded path.
 * It names the file actually opened, whatever symlinks or swapped folders led there, so it
 * holds even when the scan itself was fooled by a folder swapped for a symlink between reading
 * a directory and the one below it, or when a folder of the share was moved out and replaced by
 * a link to it (the file keeps its device and inode). Where the system cannot tell (not Linux),
 * only the device and inode checks apply.
 */
export function openedInside (fh: FileHandle, within: string, exclude: readonly string[] = []): boolean {
  const at = openedPath(fh)
  if (at == null) return true
  return isInside(within, at) && !exclude.some(e => isInside(e, at))
}
