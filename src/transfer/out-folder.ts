import { constants, realpathSync } from 'node:fs'
import { lstat, mkdir, open, realpath, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { PartialFileError, UnsafePathError } from './errors.js'
import { isInside } from '../util/file-key.js'
import type { FileHandle } from 'node:fs/promises'
import type { Stats } from 'node:fs'

/**
 * File system access under the output folder, which others may be able to write into (a
 * shared downloads folder, --out /tmp/x). Nothing there is followed through a symbolic link:
 * folders are checked with lstat one level at a time, files are opened with O_NOFOLLOW (and
 * O_NONBLOCK, so a planted FIFO cannot hang us), and what was opened is checked afterwards to
 * be the entry at the expected place, so a swap between check and use is caught.
 */

const log = logger('fsnode:transfer:out')
// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where creating links needs privileges
const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = constants
const NEW_FILE_MODE = 0o644

/** Which file a path named when checked: compared with the file a handle refers to. */
export interface FileIdentity {
  dev: number
  ino: number
}

export function identityOf (st: Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino }
}

function sameFile (a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino
}

/** The output folder's real path, created when missing. The folder itself is the user's
 * choice (it may be a link); everything below it is reached without links. */
export async function realOutDir (outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true })
  return await realpath(outDir)
}

/**
 * `root/segments...`, created one level at a time when `create`; every level must be a real
 * folder, never a link. Without `create`, undefined when a level is missing.
 */
export async function safeDir (root: string, segments: string[], create = true): Promise<string | undefined> {
  let dir = root
  for (const seg of segments) {
    dir = join(dir, seg)
    if (create) {
      await mkdir(dir).catch((err: any) => { if (err.code !== 'EEXIST') throw err })
    }
    let st: Stats
    try {
      st = await lstat(dir)
    } catch (err: any) {
      if (!create && err.code === 'ENOENT') return undefined
      throw err
    }
    if (st.isSymbolicLink()) {
      throw new UnsafePathError(`${dir} is a symbolic link; fsnode never writes through a link inside the download folder (remove it, or choose another --out)`)
    }
    if (!st.isDirectory()) throw new PartialFileError(`cannot use ${dir} as a folder: something else has that name`)
  }
  return dir
}

/** Refuse when `dir` no longer resolves inside `root` (a level swapped for a link after it was
 * checked). Compared by containment, not by spelling: a case-insensitive file system may spell
 * an existing folder differently. */
export async function assertInside (root: string, dir: string): Promise<void> {
  checkInside(root, dir, await realpath(dir))
}

/** assertInside without the thread pool, for a folder just used (see batch-placer.ts). */
export function assertInsideSync (root: string, dir: string): void {
  checkInside(root, dir, realpathSync.native(dir))
}

function checkInside (root: string, dir: string, real: string): void {
  if (!isInside(root, real)) {
    throw new UnsafePathError(`${dir} was replaced by a link leading out of the download folder while fsnode used it; nothing was left there`)
  }
}

/** Refuse when the entry at `path` is not the file `fh` refers to. */
export async function assertIsFile (fh: FileHandle, path: string): Promise<void> {
  const [mine, there] = await Promise.all([fh.stat(), lstat(path).catch(() => undefined)])
  if (there == null || there.isSymbolicLink() || !sameFile(identityOf(mine), identityOf(there))) {
    throw new UnsafePathError(`${path} was replaced while fsnode used it; refusing to use what is there now`)
  }
}

/** True when `path` still is the regular file `id` (same device and inode), not a link. */
export async function isStillFile (path: string, id: FileIdentity): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined)
  return st != null && st.isFile() && sameFile(identityOf(st), id)
}

/** A regular file of ours with no other name: safe to reopen and trust as our own writes. */
function isOwnFile (st: Stats): boolean {
  const uid = process.getuid?.()
  return st.isFile() && st.nlink === 1 && (uid == null || st.uid === uid)
}

function isLinkError (err: any): boolean {
  // O_NOFOLLOW on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD), EFTYPE (NetBSD)
  return ['ELOOP', 'EMLINK', 'EFTYPE'].includes(err?.code)
}

/** Open for reading without following a link at `path`; undefined when absent, a link or not
 * a regular file. */
export async function openForRead (path: string): Promise<{ fh: FileHandle, st: Stats } | undefined> {
  let fh: FileHandle
  try {
    fh = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
  } catch (err: any) {
    if (err.code === 'ENOENT' || err.code === 'ENXIO' || isLinkError(err)) return undefined
    throw err
  }
  const st = await fh.stat()
  if (!st.isFile()) {
    await fh.close()
    return undefined
  }
  return { fh, st }
}

/**
 * Reopen our file at `path` for reading and writing, or create it. Whatever else is there
 * (a link, a FIFO, a file of another user or with a second name) is removed first and a new
 * file of ours takes its place. `fresh` tells that nothing earlier is in it.
 */
export async function openOwnFile (path: string): Promise<{ fh: FileHandle, fresh: boolean }> {
  try {
    const fh = await open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK)
    if (isOwnFile(await fh.stat())) return { fh, fresh: false }
    await fh.close()
    log('replacing %s: not a file of ours', path)
  } catch (err: any) {
    if (isLinkError(err) || err.code === 'ENXIO') log('replacing %s: a link or a special file', path)
    else if (err.code !== 'ENOENT') throw err
  }
  return { fh: await createOwnFile(path, O_RDWR), fresh: true }
}

/** Create a new file at `path` (after removing whatever is there, a link included, without
 * following it). O_EXCL: a name planted again in between fails instead of being written through. */
export async function createOwnFile (path: string, flags = O_WRONLY): Promise<FileHandle> {
  await unlink(path).catch((err: any) => { if (err.code !== 'ENOENT') throw err })
  return await open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, NEW_FILE_MODE)
}
