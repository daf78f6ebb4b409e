import { sameKey } from './file-key.js'
import type { FileKey } from './file-key.js'
import type { Stats } from 'node:fs'

/**
 * What the watcher's first walk found (it lstats every file as it sets up its watches),
 * checked against the index the scan built before it: the walk runs after the scan, so the
 * share is served meanwhile, and what changed in between is caught up from this diff. Each file
 * is checked against the index as the walk finds it: what is kept is the index's own objects
 * of the files found unchanged and the paths of the others, not a record of every file walked
 * (200,000 of those were ~40 MB).
 */
export class FirstWalk<F extends FileKey & { path: string }> {
  /** Indexed files the walk found as the index has them. */
  private readonly matched = new Set<F>()
  /** Paths the walk found otherwise (changed, or not indexed), with their mtime. */
  private readonly differing = new Map<string, number>()

  /** `lookup`: what the index holds at an absolute path. */
  constructor (private readonly lookup: (path: string) => F | undefined) {}

  record (path: string, st: Stats): void {
    const f = this.lookup(path)
    if (f != null && sameKey(f, st)) this.matched.add(f)
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
      if (this.matched.has(f)) continue
      const path = f.path
      if (!this.differing.has(path)) changed.push(path)
    }
    this.matched.clear()
    this.differing.clear()
    return { changed, settling }
  }
}
