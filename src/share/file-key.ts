import { readlink } from 'node:fs/promises'
import { platform } from 'node:os'
import { isInside } from './scanner.js'
import type { FileHandle } from 'node:fs/promises'

// what a file on disk is (share and the chunk server both check it): in util, below both
export { keyOf, sameFile, sameKey } from '../util/file-key.js'
export type { FileKey } from '../util/file-key.js'

/** Where the kernel says an open file is, on Linux; undefined where it cannot tell. */
async function openedPath (fh: FileHandle): Promise<string | undefined> {
  if (platform() !== 'linux') return undefined
  return await readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined)
}

/**
 * True unless the kernel says the open file lies outside `within` or inside an excluded path.
 * It names the file actually opened, whatever symlinks or swapped folders led there, so it
 * holds even when the scan itself was fooled by a folder swapped for a symlink between reading
 * a directory and the one below it. Where the system cannot tell (not Linux), only the device
 * and inode checks apply.
 */
export async function openedInside (fh: FileHandle, within: string, exclude: readonly string[] = []): Promise<boolean> {
  const at = await openedPath(fh)
  if (at == null) return true
  return isInside(within, at) && !exclude.some(e => isInside(e, at))
}
