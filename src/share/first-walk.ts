import { sameKey } from './file-key.js'
import { nextMark } from './shared-file.js'
import type { FileKey } from './file-key.js'
import type { Stats } from 'node:fs'

/** An indexed file as the walk needs it: its key and path, and a mark of the walks that found
 * it (IndexedFile.mark()). */
export type WalkedFile = FileKey & { path: string, mark: (walk: number) => void, seenSince: (walk: number) => boolean }

/**
 * What the watcher's first walk found (it lstats every file as it sets up its watches),
 * checked against the index the scan built before it: the walk runs after the scan, so the
 * share is served meanwhile, and what changed in between is caught up from this diff. Each file
 * is checked against the index as the walk finds it: what is kept is a mark in the record of
 * each file found unchanged and the paths of the others, not a record of every file walked
 * (200,000 of those were ~40 MB; a set of the files found, ~5 MB). A later mark (a scan of a
 * watcher batch meanwhile) counts too: that scan brought the file in line with the disk.
 */
export class FirstWalk<F extends WalkedFile> {
  /** This walk's mark in the files it found as the index has them. */
  private walk = nextMark()
  /** Paths the walk found otherwise (changed, or not indexed), with their mtime. */
  private readonly differing = new Map<string, number>()

  /** `lookup`: what the index holds at an absolute path. */
  constructor (private readonly lookup: (path: string) => F | undefined) {}

  record (path: string, st: Stats): void {
    const f = this.lookup(path)
    if (f != null && sameKey(f, st)) f.mark(this.walk)
    else this.differing.set(path, st.mtimeMs)
  }

  /**
   * Paths whose state differs: found with another key than the index has, not found though
   * indexed, or found though not indexed. `settling` ones were written within `stabilityMs`
   * and may still be being written: they wait, as the watcher's own reports do. Forgets the walk.
   */
  diff (indexed: Iterable<F>, stabilityMs: number, now = Date.now()): { changed: string[], settling: string[] } {
    const changed: string[] = []
    const settling: string[] = []
    for (const [path, mtimeMs] of this.differing) {
      if (now - mtimeMs < stabilityMs) settling.push(path)
      else changed.push(path)
    }
    for (const f of indexed) {
      if (f.seenSince(this.walk)) continue
      const path = f.path
      if (!this.differing.has(path)) changed.push(path)
    }
    this.walk = nextMark() // files marked before are no longer found by it
    this.differing.clear()
    return { changed, settling }
  }
}
