import { lstatSync } from 'node:fs'
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, sep } from 'node:path'
import { logger } from '@libp2p/logger'
import { isInside } from '../util/file-key.js'
import { INTERNAL_PREFIX, SCAN_DIR_CONCURRENCY, SCAN_STAT_CONCURRENCY, SCAN_SYNC_STATS } from './constants.js'
import type { Dirent, Stats } from 'node:fs'

const log = logger('fsnode:share')

/** A regular file found by a scan. */
export interface ScannedFile {
  /** Path relative to the scan's `base`, '/'-separated ('' when the start itself is the file). */
  name: string
  /** Absolute path as reached from the base (it may pass through a followed symlink). */
  path: string
  size: number
  mtimeMs: number
  /** The change key (see FileKey): ctime, device and inode of the file found inside the share. */
  ctimeMs: number
  ino: number
  dev: number
}

export interface ScanOptions {
  /** Names are relative to this absolute path (a real path). */
  base: string
  /** Where to start (default: `base`); a path at or under `base`. */
  start?: string
  /** Symlinks are followed only when their real target is at or under this path (default: `base`). */
  within?: string
  signal?: AbortSignal
  /** Directories read at once. */
  concurrency?: number
  /** Real paths never shared, nor anything under them (the node's data dir). */
  exclude?: string[]
  /** Called for each symlink followed: its path and its real target. */
  onSymlink?: (path: string, target: string) => void
}

/** Real paths of the directories on the way down: a symlink to one of them is a loop. */
interface Chain {
  real: string
  parent?: Chain
}

interface DirJob {
  path: string
  chain: Chain
}

type Found = { kind: 'file', file: ScannedFile } | { kind: 'dir', job: DirJob } | undefined

// below share and transfer, which both check paths against a root
export { isInside }

/** True for a name the node keeps for itself (partial downloads, temp files). */
export function isInternalName (name: string): boolean {
  return name.startsWith(INTERNAL_PREFIX)
}

/** True when any segment of a '/'-separated relative name is internal. */
export function hasInternalSegment (rel: string): boolean {
  return rel.startsWith(INTERNAL_PREFIX) || rel.includes(`/${INTERNAL_PREFIX}`)
}

function inChain (chain: Chain | undefined, real: string): boolean {
  for (let c = chain; c != null; c = c.parent) if (c.real === real) return true
  return false
}

async function mapLimit<T, R> (items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Walk a tree and yield its regular files. Iterative (a work stack, not recursion), reading a
 * few directories and a bounded number of stats at a time, so a deep or wide tree costs neither
 * stack nor unbounded memory. Symlinks are followed only when their real target stays within
 * `within` and is not a directory already on the way down; once checked, a folder is read and
 * its files are stat'ed through its real path, so swapping a link afterwards leads nowhere.
 * Everything else that is not a regular file or a directory (sockets, fifos, devices, dangling
 * links) is skipped.
 */
export async function * scan (options: ScanOptions): AsyncGenerator<ScannedFile> {
  const { base, signal, onSymlink } = options
  const within = options.within ?? base
  const start = options.start ?? base
  const concurrency = options.concurrency ?? SCAN_DIR_CONCURRENCY
  const exclude = options.exclude ?? []
  const excluded = (real: string): boolean => exclude.some(e => isInside(e, real))
  // every path here is `start` or a join under it, so at or under `base`: a slice, not relative()
  const nameOf = (path: string): string => {
    const rel = path === base ? '' : path.slice(base.endsWith(sep) ? base.length : base.length + 1)
    return sep === '/' ? rel : rel.split(sep).join('/')
  }

  const skip = (path: string, why: string): undefined => {
    log('not sharing %s: %s', path, why)
    return undefined
  }

  const dir = (path: string, real: string, parent: Chain | undefined): Found => {
    if (excluded(real)) return skip(path, 'excluded')
    return { kind: 'dir', job: { path, chain: { real, parent } } }
  }

  /**
   * A plain file as readdir listed it, stat'ed synchronously: a promise lstat cost ~50 us of
   * main-thread time per file (the request, the promise, the garbage: half the CPU of a restart
   * over 10,000 unchanged files), a synchronous one a few us. A folder's files at a time, so the
   * event loop is never held for long.
   */
  const plainFile = (path: string, parent: Chain, dirent: Dirent): Found | 'recheck' => {
    const at = join(parent.real, dirent.name)
    let st: Stats | undefined
    try {
      st = lstatSync(at, { throwIfNoEntry: false })
    } catch (err: any) {
      return skip(path, err.code ?? err.message)
    }
    if (st == null) return skip(path, 'ENOENT')
    // replaced by a folder or a link since readdir: the full check decides
    if (!st.isFile()) return 'recheck'
    if (excluded(at)) return skip(path, 'excluded')
    return { kind: 'file', file: { name: nameOf(path), path, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev } }
  }

  const classify = async (path: string, parent: Chain | undefined, dirent?: Dirent): Promise<Found> => {
    // Every call below goes through the parent's checked real path, never through `path`: a
    // symlink along `path` may have been swapped to lead out of the share since it was checked.
    const at = parent != null ? join(parent.real, basename(path)) : path
    try {
      let st: Stats | undefined
      if (dirent?.isDirectory() === true) return dir(path, at, parent)
      let isLink = dirent?.isSymbolicLink()
      if (dirent == null || !(dirent.isFile() || isLink === true)) {
        st = await lstat(at)
        isLink = st.isSymbolicLink()
        if (st.isDirectory()) return dir(path, await realpath(at), parent)
      }
      let real: string | undefined
      if (isLink === true) {
        real = await realpath(at).catch(() => undefined)
        if (real == null) return skip(path, 'dangling symlink')
        if (!isInside(within, real)) return skip(path, `symlink leads out of the share (${real})`)
        st = await stat(real)
        if (st.isDirectory()) {
          if (inChain(parent, real)) return skip(path, 'symlink loop')
          const found = dir(path, real, parent)
          if (found != null) onSymlink?.(path, real)
          return found
        }
      }
      st ??= await lstat(at)
      if (!st.isFile()) return skip(path, 'not a regular file')
      if (excluded(real ?? at)) return skip(path, 'excluded')
      if (real != null) onSymlink?.(path, real)
      return { kind: 'file', file: { name: nameOf(path), path, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev } }
    } catch (err: any) {
      // vanished between readdir and stat, or unreadable: not an error of the scan
      return skip(path, err.code ?? err.message)
    }
  }

  signal?.throwIfAborted()
  let parent: Chain | undefined
  if (start !== base) {
    if (isInternalName(basename(start))) return
    // a start below a symlink leading out of the share must not be read through it
    const parentReal = await realpath(dirname(start)).catch(() => undefined)
    if (parentReal == null || !isInside(within, parentReal)) return
    parent = { real: parentReal }
  }
  const first = await classify(start, parent)
  if (first == null) return
  if (first.kind === 'file') {
    yield first.file
    return
  }
  const stack: DirJob[] = [first.job]
  while (stack.length > 0) {
    signal?.throwIfAborted()
    const jobs = stack.splice(Math.max(0, stack.length - concurrency))
    const listed = await Promise.all(jobs.map(async job => {
      try {
        // by the checked real path: `job.path` may pass through a symlink swapped since; and a
        // folder on it may itself have been swapped for a symlink since its parent was read
        if (await realpath(job.chain.real) !== job.chain.real) {
          skip(job.path, 'a folder on its path was swapped for a symlink during the scan')
          return []
        }
        return await readdir(job.chain.real, { withFileTypes: true })
      } catch (err: any) {
        skip(job.path, `cannot read directory: ${err.code ?? err.message}`)
        return []
      }
    }))
    // folders and links first (checked before any file of theirs is handed on), then the plain
    // files, each handed on as it is stat'ed: a list of the folders' files lived through
    // young-generation collections and went to the old generation (8,000 files at a time),
    // garbage for a full collection to find
    const others: Array<{ path: string, job: DirJob, dirent?: Dirent }> = []
    for (const [i, dirents] of listed.entries()) {
      for (const dirent of dirents) {
        if (!dirent.isFile() && !isInternalName(dirent.name)) others.push({ path: join(jobs[i].path, dirent.name), job: jobs[i], dirent })
      }
    }
    const found = await mapLimit(others, SCAN_STAT_CONCURRENCY, async e => await classify(e.path, e.job.chain, e.dirent))
    const rechecks: typeof others = []
    let stated = 0
    for (const [i, dirents] of listed.entries()) {
      for (const dirent of dirents) {
        if (!dirent.isFile() || isInternalName(dirent.name)) continue
        const path = join(jobs[i].path, dirent.name)
        const file = plainFile(path, jobs[i].chain, dirent)
        // no longer a file: classified again from a fresh lstat
        if (file === 'recheck') rechecks.push({ path, job: jobs[i] })
        else if (file?.kind === 'file') yield file.file
        // a huge folder does not hold the event loop for long
        if (++stated % SCAN_SYNC_STATS === 0) await new Promise(resolve => setImmediate(resolve))
      }
    }
    for (const f of await mapLimit(rechecks, SCAN_STAT_CONCURRENCY, async e => await classify(e.path, e.job.chain))) found.push(f)
    for (const f of found) {
      if (f == null) continue
      if (f.kind === 'dir') stack.push(f.job)
      else yield f.file
    }
  }
}
