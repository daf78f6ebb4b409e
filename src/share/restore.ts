// A restart's first step: every file the hash cache holds under the roots shared as the last
// scan found it, without a look at the disk (the scan after corrects what changed).
import { sep } from 'node:path'
import { nameFor } from './roots.js'
import { hasInternalSegment, isInside } from './scanner.js'
import { IndexedFile } from './shared-file.js'
import type { FileTable } from './file-table.js'
import type { HashCache } from './hash-cache.js'
import type { RootSet } from './roots.js'

/** What restoreCached() reads and fills. */
export interface RestoreTarget {
  readonly cache: HashCache
  readonly roots: RootSet
  readonly exclude: readonly string[]
  readonly table: FileTable
  /** Called with each file added (the index watches its size). */
  added: () => void
}

/**
 * Share every file the hash cache holds under a root; how many files the table then holds. A
 * name is taken by the first root that holds it, as in a scan.
 */
export function restoreCached (t: RestoreTarget): number {
  const { table } = t
  // names under the share folder come from SQLite (see HashCache.entries())
  const folder = sep === '/' ? [...t.roots.folders()].find(r => r.name === '') : undefined
  const under = folder == null ? '' : folder.real.endsWith(sep) ? folder.real : folder.real + sep
  // a row under the folder is the folder's file, named by its rest, when no other root or
  // excluded path lies inside the folder (the usual case): no look at its path at all
  const alone = folder != null && ![...t.roots].some(r => r !== folder && isInside(folder.real, r.real)) &&
    !t.exclude.some(e => isInside(folder.real, e) || isInside(e, folder.real))
  // rows are unique by path, so the folder's names are too: a name can be taken only by
  // another root's file, and none has been shared yet while `others` is 0
  let others = 0
  for (const f of t.cache.entries(under)) {
    if (alone && f.rel != null) {
      if (isPlainName(f.rel) && !hasInternalSegment(f.rel) && (others === 0 || table.get(f.rel) == null)) {
        // the path is the one made from root and name: not kept, not compared
        table.add(new IndexedFile(f.rel, folder, undefined, f, f.manifest))
        t.added()
      }
      continue
    }
    // roots found by path, not a pass over every root (a node holds one per seeded download)
    const root = t.roots.first(f.path)
    const name = root === folder && f.rel != null ? f.rel : root == null ? undefined : nameFor(root, f.path)
    if (root == null || name === undefined) continue
    if (isPlainName(name) && !hasInternalSegment(name) && !t.exclude.some(e => isInside(e, f.path)) && table.get(name) == null) {
      table.add(new IndexedFile(name, root, f.path, f, f.manifest))
      t.added()
      others++
    }
  }
  return table.size
}

/** A name as a scan makes it: no empty, '.' or '..' segment (a cache row is trusted this far). */
function isPlainName (name: string): boolean {
  return !NOT_PLAIN.test(name)
}

/** An empty, '.' or '..' segment. */
const NOT_PLAIN = /(?:^|\/)\.{0,2}(?:\/|$)/
