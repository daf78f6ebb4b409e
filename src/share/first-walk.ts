import { keyOf, sameKey } from './file-key.js'
import type { FileKey } from './file-key.js'
import type { Stats } from 'node:fs'

/**
 * What the watcher's first walk found (chokidar lstats every entry to set up its watches),
 * checked against the index the scan built before it: the walk runs after the scan, so the
 * share is served meanwhile, and what changed in between is caught up from this diff.
 */
export class FirstWalk {
  private readonly walked = new Map<string, FileKey & { mtimeMs: number }>()

  record (path: string, st: Stats): void {
    this.walked.set(path, { ...keyOf(st), mtimeMs: st.mtimeMs })
  }

  /**
   * Paths whose state differs: found with another key than the index has, not found though
   * indexed, or found though not indexed. `settling` ones were written within `stabilityMs`
   * and may still be being written: they wait, as the watcher's own reports do. Forgets the walk.
   */
  diff (indexed: Iterable<FileKey & { path: string }>, stabilityMs: number, now = Date.now()): { changed: string[], settling: string[] } {
    const changed: string[] = []
    const settling: string[] = []
    const seen = new Set<string>()
    const check = (path: string): void => {
      const key = this.walked.get(path)
      if (key != null && now - key.mtimeMs < stabilityMs) settling.push(path)
      else changed.push(path)
    }
    for (const f of indexed) {
      seen.add(f.path)
      const key = this.walked.get(f.path)
      if (key == null || !sameKey(f, key)) check(f.path)
    }
    for (const path of this.walked.keys()) if (!seen.has(path)) check(path)
    this.walked.clear()
    return { changed, settling }
  }
}
