import { lstat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { logger } from '@libp2p/logger'
import { watch } from 'chokidar'
import {
  WATCH_DEBOUNCE_MS, WATCH_MAX_WAIT_MS, WATCH_POLL_INTERVAL_MS, WRITE_POLL_MS, WRITE_STABILITY_MS
} from './constants.js'
import { isInside, isInternalName } from './scanner.js'
import { DirWatch } from './dir-watch.js'
import type { WatchMode } from './types.js'
import type { ChokidarOptions, FSWatcher } from 'chokidar'
import type { Stats } from 'node:fs'

const log = logger('fsnode:share')

export type { WatchMode } from './types.js'

export interface ShareWatcherOptions {
  /** Called with the absolute paths that changed (files added, changed or removed, directories
   * removed; a root after a fallback to polling). Only hints: the receiver re-stats them. */
  onBatch: (paths: string[]) => void
  /** Called once when native watching failed and polling took over. */
  onFallback?: (message: string, err: Error) => void
  /** With it, the first walk of start() reports each file it finds here, with its lstat
   * (files added, changed or removed meanwhile still come to onBatch): the owner, who scanned the
   * tree before watching it, checks its index against them instead of walking the tree again. */
  onInitial?: (path: string, stats: Stats) => void
  /** Start in polling mode. */
  polling?: boolean
  debounceMs?: number
  maxWaitMs?: number
  /** A new or changed file is reported once its size held still this long. */
  stabilityMs?: number
  writePollMs?: number
  pollIntervalMs?: number
  /** Absolute paths not watched, nor anything under them (the node's data dir). */
  exclude?: string[]
  /** Replaces chokidar's `watch`, used for polling and for the folders of single files (tests
   * inject failures with it). */
  watchFn?: (paths: string[], options: ChokidarOptions) => FSWatcher
  /** Called before the native watches of the folder trees are set up (tests change files then). */
  beforeNative?: () => void
}

/** Errors that mean "no more native watches here" (inotify watch or instance limits, fds). */
const FALLBACK_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE'])

/**
 * Watches the share roots recursively and hands on debounced batches of changed paths.
 * New and changed files are held back until their size stops changing (a file being copied in is
 * not announced half-written). When the system runs out of native watches the watcher switches to
 * polling instead of failing, says so once, and reports the roots so the owner rescans them.
 */
export class ShareWatcher {
  mode: WatchMode
  /** Set when the watcher had to fall back to polling, or hit another error. */
  lastError?: string
  private readonly opts: Required<Omit<ShareWatcherOptions, 'onFallback' | 'onInitial' | 'polling' | 'beforeNative'>> & Pick<ShareWatcherOptions, 'onFallback' | 'onInitial' | 'beforeNative'>
  private readonly paths = new Set<string>()
  /** The folder trees, natively (see DirWatch); chokidar's polling after a fallback. */
  private dirs?: DirWatch
  private fsw?: FSWatcher
  /** Shared single files (a seeded download each), watched through their folders, one level
   * deep, by a watcher of their own: chokidar watches a file through its folder with one
   * subscriber per file, so every event in a folder of N seeds cost N callbacks (a get's cost
   * grew with the downloads before it). */
  private readonly files = new Set<string>()
  private readonly fileDirs = new Map<string, number>()
  private filesFsw?: FSWatcher
  private pending = new Set<string>()
  private timer?: NodeJS.Timeout
  private firstPendingAt = 0
  private closed = false
  private switching?: Promise<void>
  private onReady?: () => void
  /** Set once start() returned: watchers made later (fallback, add) report no initial files. */
  private started = false
  private readonly settling = new Set<NodeJS.Timeout>()
  private readonly settlingPaths = new Set<string>()

  constructor (options: ShareWatcherOptions) {
    this.mode = options.polling === true ? 'polling' : 'native'
    this.opts = {
      onBatch: options.onBatch,
      onFallback: options.onFallback,
      onInitial: options.onInitial,
      beforeNative: options.beforeNative,
      debounceMs: options.debounceMs ?? WATCH_DEBOUNCE_MS,
      maxWaitMs: options.maxWaitMs ?? WATCH_MAX_WAIT_MS,
      stabilityMs: options.stabilityMs ?? WRITE_STABILITY_MS,
      writePollMs: options.writePollMs ?? WRITE_POLL_MS,
      pollIntervalMs: options.pollIntervalMs ?? WATCH_POLL_INTERVAL_MS,
      exclude: options.exclude ?? [],
      watchFn: options.watchFn ?? watch
    }
  }

  /** Watch these folders (recursively) and files; resolves once the watches are in place. */
  async start (paths: string[], files: string[] = []): Promise<void> {
    for (const p of paths) this.paths.add(p)
    for (const f of files) this.addFile(f)
    if (this.fileDirs.size > 0 && this.filesFsw == null) this.filesFsw = this.create([...this.fileDirs.keys()], true)
    const filesReady = this.filesFsw == null ? undefined : new Promise<void>(resolve => this.filesFsw?.once('ready', resolve))
    if (this.mode === 'native') {
      await this.startNative()
    } else {
      const fsw = this.create([...this.paths])
      this.fsw = fsw
      // a fallback during the first walk replaces the watcher: whichever is ready first will do
      await new Promise<void>(resolve => {
        this.onReady = resolve
        fsw.once('ready', resolve)
      })
      this.onReady = undefined
    }
    if (this.mode === 'native') await filesReady
    this.started = true
  }

  /** The folder trees' native watches; when they run out, polling (see fallback()) instead. */
  private async startNative (): Promise<void> {
    this.opts.beforeNative?.()
    const dirs = new DirWatch({
      ignored: this.ignored,
      onChange: (path, kind) => {
        if (kind === 'gone') this.note(path)
        else this.settle(path)
      },
      onError: err => { this.onDirError(dirs, err) }
    })
    this.dirs = dirs
    const onInitial = this.opts.onInitial
    const onFile = onInitial == null ? undefined : (path: string, st: Stats) => { if (!this.closed) onInitial(path, st) }
    try {
      for (const p of this.paths) await dirs.add(p, onFile)
    } catch (err: any) {
      this.onDirError(dirs, err)
      await this.switching
    }
  }

  private readonly ignored = (path: string): boolean => isInternalName(basename(path)) || this.opts.exclude.some(e => isInside(e, path))

  /**
   * Report `path` once nothing was written to it for the stability time, as the watcher does
   * for the files it sees change: for a change the owner found itself (a file still being
   * written while the watches were set up).
   */
  settle (path: string): void {
    // one wait per path: a file being copied in sends an event per write
    if (this.settlingPaths.has(path)) return
    this.settlingPaths.add(path)
    const done = (): void => {
      this.settlingPaths.delete(path)
      this.note(path)
    }
    const check = (): void => {
      this.settling.delete(timer)
      if (this.closed) return
      lstat(path).then(st => {
        const quiet = Date.now() - st.mtimeMs
        if (quiet >= this.opts.stabilityMs) done()
        else this.settleLater(check, this.opts.stabilityMs - quiet + this.opts.writePollMs)
      }, done)
    }
    const timer = this.settleLater(check, 0)
  }

  private settleLater (fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => { this.settling.delete(timer); fn() }, ms)
    this.settling.add(timer)
    return timer
  }

  /** Watch a folder recursively, or (`file`) a single file. */
  add (path: string, file = false): void {
    if (file) {
      const dir = this.addFile(path)
      if (dir == null) return
      if (this.filesFsw == null) this.filesFsw = this.create([dir], true)
      else this.filesFsw.add(dir)
      return
    }
    if (this.paths.has(path)) return
    this.paths.add(path)
    this.fsw?.add(path)
    // quietly: the owner scans a root it adds
    this.dirs?.add(path, null).catch((err: Error) => { if (this.dirs != null) this.onDirError(this.dirs, err) })
  }

  remove (path: string): void {
    if (this.files.delete(path)) {
      const dir = dirname(path)
      const n = (this.fileDirs.get(dir) ?? 1) - 1
      if (n > 0) { this.fileDirs.set(dir, n); return }
      this.fileDirs.delete(dir)
      this.filesFsw?.unwatch(dir)
      return
    }
    if (!this.paths.delete(path)) return
    this.fsw?.unwatch(path)
    this.dirs?.remove(path)
  }

  /** Registers a single file; returns its folder when that folder is not watched yet. */
  private addFile (path: string): string | undefined {
    if (this.files.has(path)) return undefined
    this.files.add(path)
    const dir = dirname(path)
    const n = this.fileDirs.get(dir) ?? 0
    this.fileDirs.set(dir, n + 1)
    return n === 0 ? dir : undefined
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    for (const t of this.settling) clearTimeout(t)
    this.settling.clear()
    this.settlingPaths.clear()
    this.pending.clear()
    this.onReady?.()
    this.dirs?.close()
    this.dirs = undefined
    const fsw = this.fsw
    const filesFsw = this.filesFsw
    this.fsw = undefined
    this.filesFsw = undefined
    await Promise.all([fsw?.close(), filesFsw?.close()])
  }

  /** `files`: the folders of single shared files, one level deep, reporting only those files. */
  private create (paths: string[], files = false): FSWatcher {
    const polling = this.mode === 'polling'
    const ignored = this.ignored
    const onInitial = this.started ? undefined : this.opts.onInitial
    const fsw = this.opts.watchFn(paths, {
      ...(files ? { depth: 0 } : {}),
      ignoreInitial: onInitial == null,
      // symlinks are followed by the scanner, which knows which ones stay inside the share
      followSymlinks: false,
      // atomic would hide editor backup files (`x~`) the scanner shares; batches merge unlink+add anyway
      atomic: false,
      awaitWriteFinish: { stabilityThreshold: this.opts.stabilityMs, pollInterval: this.opts.writePollMs },
      ignored,
      backend: polling ? 'polling' : 'native',
      pollingInterval: this.opts.pollIntervalMs,
      pollingBinaryInterval: this.opts.pollIntervalMs
    })
    // in the folders of single files, chokidar follows every entry (one it ignored when it appeared
    // would never report its removal), and only the shared files are passed on
    const wanted = (path: string): boolean => !files || this.files.has(path)
    // before 'ready' chokidar does not hold events back until a write is finished: those wait here
    let walking = onInitial != null
    if (walking) fsw.once('ready', () => { walking = false })
    const onPath = (path: string): void => {
      if (!wanted(path)) return
      if (walking) this.settle(path)
      else this.note(path)
    }
    // addDir is not needed: the files inside a new directory get their own (write-stable) add
    fsw.on('add', (path: string, stats?: Stats) => {
      // before 'ready', an add with its stats is (mostly) a file the first walk found
      if (walking && stats != null && onInitial != null) {
        if (!this.closed && wanted(path)) onInitial(path, stats)
      } else onPath(path)
    })
    fsw.on('change', onPath)
    fsw.on('unlink', onPath)
    fsw.on('unlinkDir', onPath)
    fsw.on('error', (err: unknown) => { this.onError(fsw, err instanceof Error ? err : new Error(String(err))) })
    return fsw
  }

  private note (path: string): void {
    if (this.closed) return
    if (this.pending.size === 0) this.firstPendingAt = Date.now()
    this.pending.add(path)
    clearTimeout(this.timer)
    const waited = Date.now() - this.firstPendingAt
    const delay = Math.max(0, Math.min(this.opts.debounceMs, this.opts.maxWaitMs - waited))
    this.timer = setTimeout(() => { this.flush() }, delay)
  }

  private flush (): void {
    if (this.closed || this.pending.size === 0) return
    const paths = [...this.pending]
    this.pending = new Set()
    try {
      this.opts.onBatch(paths)
    } catch (err: any) {
      log.error('watch batch handler failed: %s', err.message)
    }
  }

  private onDirError (dirs: DirWatch, err: Error): void {
    if (dirs === this.dirs) this.handleError(err)
  }

  private onError (fsw: FSWatcher, err: Error): void {
    if (fsw !== this.fsw && fsw !== this.filesFsw) return // a watcher being replaced: its errors are known
    this.handleError(err)
  }

  private handleError (err: Error): void {
    const code = (err as NodeJS.ErrnoException).code
    if (this.mode === 'native' && code != null && FALLBACK_CODES.has(code)) {
      this.switching ??= this.fallback(err, code).catch((e: Error) => {
        this.lastError = `cannot poll the share either: ${e.message}`
        log.error(this.lastError)
      })
      return
    }
    this.lastError = `watch error: ${err.message}`
    log.error('watch error: %s', err.message)
  }

  private async fallback (err: Error, code: string): Promise<void> {
    const why = code === 'ENOSPC'
      ? 'the inotify watch limit fs.inotify.max_user_watches is reached'
      : 'too many open files or inotify instances (fs.inotify.max_user_instances)'
    const every = this.opts.pollIntervalMs >= 1000 ? `${Math.round(this.opts.pollIntervalMs / 1000)} s` : `${this.opts.pollIntervalMs} ms`
    const message = `cannot watch the share natively (${code}: ${why}); polling every ${every} instead`
    this.mode = 'polling'
    this.lastError = message
    log.error(message)
    this.opts.onFallback?.(message, err)
    this.dirs?.close()
    this.dirs = undefined
    const old = [this.fsw, this.filesFsw]
    this.fsw = undefined
    this.filesFsw = undefined
    await Promise.all(old.map(async w => { await w?.close().catch(() => {}) }))
    if (this.closed) return
    const fsw = this.create([...this.paths])
    this.fsw = fsw
    if (this.fileDirs.size > 0) this.filesFsw = this.create([...this.fileDirs.keys()], true)
    await new Promise<void>(resolve => fsw.once('ready', resolve))
    this.onReady?.()
    if (this.closed) return
    // events may have been lost while native watches were failing: have the owner rescan
    for (const p of this.paths) this.note(p)
    for (const f of this.files) this.note(f)
  }
}
