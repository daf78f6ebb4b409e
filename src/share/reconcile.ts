// Bringing the index in line with the disk at one path: the scan of a root, a folder or a file
// (the initial scan, a watcher batch, a revalidation), apart from the index's queue and roots.
import { logger } from '@libp2p/logger'
import { sameKey } from './file-key.js'
import { isUnderName, nameFor } from './roots.js'
import { notTheSeed } from './seeds.js'
import { nextMark } from './shared-file.js'
import { hasInternalSegment, isInside, scan } from './scanner.js'
import type { FileTable } from './file-table.js'
import type { HashCache } from './hash-cache.js'
import type { HashQueue } from './hash-queue.js'
import type { Root } from './roots.js'
import type { ScannedFile } from './scanner.js'
import type { Manifest } from '../wire/file-manifest.js'

const log = logger('fsnode:share')

/** What reconcile() reads and changes of the index. */
export interface ReconcileTarget {
  readonly table: FileTable
  readonly hashes: HashQueue
  /** Folder symlinks met by scans (link -> target): a change under a target is looked up by link. */
  readonly aliases: Map<string, string>
  readonly signal: AbortSignal
  cache: () => HashCache | undefined
  exclude: () => string[]
  /** True during the initial scan: an unchanged file already indexed came from the cache. */
  initialScan: () => boolean
  /** A file shared from the hash cache without hashing. */
  cachedOne: () => void
  set: (root: Root, name: string, f: ScannedFile, manifest: Manifest) => void
  drop: (name: string) => void
}

/** Bring the index in line with the disk at `path` (a file, a folder or nothing) under `root`;
 * `force` re-hashes what is there whatever the cache says. */
export async function reconcile (t: ReconcileTarget, root: Root, path: string, force = false): Promise<void> {
  const name = nameFor(root, path)
  if (name === undefined || hasInternalSegment(name)) return
  for (const alias of t.aliases.keys()) if (isInside(path, alias)) t.aliases.delete(alias)
  // what this scan found: a mark in each file's record when it is in the table for this root,
  // else its name here (a file being hashed, a name taken by another root). A set of every
  // name found was ~5 MB at 200,000 files, and as much again in garbage as it grew, at the
  // scan's peak. A later scan's mark counts too (scans run one at a time on the index's queue;
  // were two to overlap, a file the other found is still there).
  const pass = nextMark()
  const others = new Set<string>()
  const seen = (n: string, e = t.table.get(n)): boolean => (e?.root === root && e.seenSince(pass)) || others.has(n)
  const files = scan({
    base: root.real,
    start: path,
    exclude: t.exclude(),
    signal: t.signal,
    onSymlink: (link, target) => { t.aliases.set(link, target) }
  })
  for await (const f of files) {
    const n = nameFor(root, f.path)
    if (n === undefined) continue
    if (notTheSeed(root, f)) {
      log('not sharing %s: it is no longer the file this node wrote there', f.path)
      continue
    }
    await upsert(t, root, n, f, force)
    const e = t.table.get(n)
    if (e?.root === root) e.mark(pass)
    else others.add(n)
  }
  // whatever was at or under this name and is gone now
  if (t.table.get(name)?.root === root && !seen(name)) t.drop(name)
  if (t.table.hasUnder(name)) {
    // the names to drop, not a copy of every entry (a pair per file: ~15 MB at 200,000 files,
    // made at the end of the scan, when the heap is fullest)
    const gone: string[] = []
    for (const [n, e] of t.table.entries()) {
      if (e.root === root && !seen(n, e) && isUnderName(n, name)) gone.push(n)
    }
    for (const n of gone) t.drop(n)
  }
  t.hashes.cancelWhere((n, r) => r === root && isUnderName(n, name) && !seen(n))
}

async function upsert (t: ReconcileTarget, root: Root, name: string, f: ScannedFile, force: boolean): Promise<void> {
  const existing = t.table.get(name)
  if (existing != null && existing.root !== root) {
    log('not sharing %s: the name %s is taken by %s', f.path, name, existing.path)
    return
  }
  const cache = t.cache()
  if (!force) {
    if (existing?.isAt(f.path) === true && sameKey(existing, f)) {
      if (t.initialScan()) t.cachedOne() // shared from the cache before the scan (ShareIndex.start())
      return
    }
    if (t.hashes.has(name, f)) return
    const manifest = cache?.get(f.path, f)
    if (manifest != null) {
      t.cachedOne()
      t.set(root, name, f, manifest)
      return
    }
  } else {
    cache?.delete(f.path)
  }
  // old content must not be served or announced while the new one is hashed
  if (existing != null) t.drop(name)
  await t.hashes.submit(root, name, f)
}
