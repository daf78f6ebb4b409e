import fs from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DIR_WATCH_STAT_CONCURRENCY } from './constants.js'
import { isInside } from './scanner.js'
import type { FSWatcher, Stats } from 'node:fs'

type FileSink = ((path: string, st: Stats) => void) | null

export interface DirWatchInit {
  /** Paths neither watched nor reported (the node's own files, the data dir). */
  ignored: (path: string) => boolean
  /** Something happened at `path`: a file (or symlink) appeared or changed (`file`: its writer
   * may not be done), or a file or folder is gone (`gone`). Only hints: the owner re-stats. */
  onChange: (path: string, kind: 'file' | 'gone') => void
  /** A watch failed after it was set up (the folder's inotify watch broke). */
  onError: (err: Error) => void
}

/**
 * Native watching of folder trees, one fs.watch (one inotify watch) per folder and nothing per
 * file: the index already knows the files, so a change is only a name to look at again.
 * chokidar keeps an entry for every file it watches and lstats every one of them as it sets up;
 * for a share of 200,000 files its walk held ~500 MB of heap at its peak and took half a minute.
 * A folder is watched before it is read, so nothing created after the read is missed; a folder
 * that appears is walked and its files are reported. Symlinks are reported, never followed
 * (the scanner decides which stay inside the share). fs.watch failing at set-up (ENOSPC: no
 * inotify watches left) throws: the owner falls back to polling.
 */
export class DirWatch {
  private readonly watchers = new Map<string, FSWatcher>()
  private closed = false

  constructor (private readonly init: DirWatchInit) {}

  /** Watch `root` and every folder under it. The files found are given to `onFile` with their
   * lstat; with `null`, not reported at all; by default, reported as changed (a folder that
   * appeared). */
  async add (root: string, onFile?: FileSink): Promise<void> {
    await this.walk(root, onFile)
  }

  /** Stop watching `root` and every folder under it. */
  remove (root: string): void {
    for (const [dir, w] of this.watchers) {
      if (!isInside(root, dir)) continue
      w.close()
      this.watchers.delete(dir)
    }
  }

  get size (): number {
    return this.watchers.size
  }

  close (): void {
    this.closed = true
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }

  private async walk (dir: string, onFile?: FileSink): Promise<void> {
    if (this.closed || this.watchers.has(dir) || this.init.ignored(dir)) return
    this.watch(dir)
    let entries: fs.Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return // gone (or unreadable) already: its parent's watch reports it
    }
    const files: string[] = []
    for (const e of entries) {
      const path = join(dir, e.name)
      if (this.init.ignored(path)) continue
      if (e.isDirectory()) await this.walk(path, onFile)
      else files.push(path)
    }
    if (onFile === null) return
    if (onFile === undefined) {
      for (const path of files) this.init.onChange(path, 'file')
      return
    }
    for (let i = 0; i < files.length && !this.closed; i += DIR_WATCH_STAT_CONCURRENCY) {
      await Promise.all(files.slice(i, i + DIR_WATCH_STAT_CONCURRENCY).map(async path => {
        // gone meanwhile: left out (the index's diff reports what it has and the walk did not see)
        const st = await lstat(path).catch(() => undefined)
        if (st != null && !this.closed) onFile(path, st)
      }))
    }
  }

  private watch (dir: string): void {
    const w = fs.watch(dir, { persistent: true }, (_event, name) => {
      if (this.closed || this.watchers.get(dir) !== w) return
      // no name (an overflowed queue): the owner looks at the whole folder again
      if (name == null) this.init.onChange(dir, 'file')
      else this.onEvent(join(dir, name.toString()))
    })
    w.on('error', (err: Error) => {
      if (this.watchers.get(dir) !== w) return
      w.close()
      this.watchers.delete(dir)
      // a folder removed under its watch: its parent reports the name
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.init.onError(err)
    })
    this.watchers.set(dir, w)
  }

  private onEvent (path: string): void {
    if (this.init.ignored(path)) return
    lstat(path).then(st => {
      if (this.closed) return
      if (!st.isDirectory()) {
        // a watched folder replaced (by a file, a symlink): its watches would follow it away
        if (this.watchers.has(path)) this.remove(path)
        this.init.onChange(path, 'file')
        return
      }
      // a folder that appeared (created or moved in): watch it and report what it holds
      if (!this.watchers.has(path)) {
        this.walk(path).catch((err: Error) => { this.init.onError(err) })
      }
    }, () => {
      if (this.closed) return
      if (this.watchers.has(path)) this.remove(path)
      this.init.onChange(path, 'gone')
    })
  }
}
