// The share's roots and what is asked of them: which there are (configured, added, removed,
// seeds), the file a path holds, and the roots a watcher batch concerns. The cut, as in
// startup.ts: the index hands over its RootSet and alias map, reads of its table and a few named
// changes (RootOpsTarget), and keeps its table, queue, hashing, hash cache and delta buffer (the
// delta's hold and flush behind one inOneDelta callback), so nothing here reaches the rest of it.
import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { ShareFolderError } from './errors.js'
import { batchTargets } from './batch.js'
import { nameFor, resolveRoot } from './roots.js'
import { isInside } from './scanner.js'
import { addSeed, resolveSeeds, restoredSeed } from './seeds.js'
import type { FileTable } from './file-table.js'
import type { HashCache } from './hash-cache.js'
import type { Root, RootSet } from './roots.js'
import type { ScannedFile } from './scanner.js'
import type { IndexedFile } from './shared-file.js'
import type { SeedTarget } from './seeds.js'
import type { ShareWatcher } from './watcher.js'
import type { RootInfo, Seed, ShareRootInit } from './types.js'
import type { Manifest } from '../wire/file-manifest.js'

const log = logger('fsnode:share')

/** What the root operations ask of the index (see ShareIndex). */
export interface RootOpsTarget {
  readonly roots: RootSet
  /** Folder symlinks met by scans (link -> target): a removed root's go with it. */
  readonly aliases: Map<string, string>
  /** The index's files, read only: they change through set() and drop(). */
  readonly table: Pick<FileTable, 'get' | 'entries' | 'rootTotals'>
  running: () => boolean
  /** Runs `fn` in the index's update queue. */
  enqueue: (fn: () => Promise<void>) => Promise<void>
  /** Runs `fn` in the update queue, what it changes sent as one delta as soon as it is done. */
  inOneDelta: (fn: () => void) => Promise<void>
  /** Resolves once queued changes are applied, hashed and sent. */
  settled: () => Promise<void>
  /** Brings the index in line with the disk at `path` under `root` (see reconcile.ts). */
  reconcile: (root: Root, path: string) => Promise<void>
  /** Where a root's real path is watched, or no longer (none when the index does not watch). */
  watcher: () => Pick<ShareWatcher, 'add' | 'remove'> | undefined
  /** Stop sharing a name. */
  drop: (name: string) => void
  /** Stop hashing what a root has waiting. */
  cancelHashing: (root: Root) => void
  /** Share a file under `name`. */
  set: (root: Root, name: string, f: ScannedFile, manifest: Manifest) => void
  /** Where a seed's manifest is recorded (on disk before addSeeds() resolves). */
  cache: () => Pick<HashCache, 'put' | 'flush' | 'remember'> | undefined
}

export class RootOps {
  constructor (private readonly t: RootOpsTarget) {}

  /** The roots the index starts with: the share folder (named '', the first unless named) must
   * be shared, or this throws; another that cannot be is left out, with a warning. */
  async addConfigured (inits: ShareRootInit[], warn: (message: string) => void): Promise<void> {
    for (const [i, init] of inits.entries()) {
      const name = init.name ?? (i === 0 ? '' : undefined)
      try {
        this.t.roots.add(init.expect != null && name != null ? await restoredSeed(init.path, name, init.expect) : await resolveRoot(init.path, name))
      } catch (err: any) {
        if (name === '') throw err
        warn(`${err.message}; not shared`)
      }
    }
  }

  /** Share a folder or a file outside the share folder. Resolves once it is indexed (and the
   * delta sent); throws ShareFolderError when it is missing, already shared or its name is taken. */
  async add (path: string, name?: string): Promise<RootInfo> {
    this.assertRunning()
    const root = await resolveRoot(path, name)
    this.t.roots.check(root) // a refusal is the caller's error, not the index's
    await this.t.enqueue(async () => {
      this.t.roots.add(root)
      this.t.watcher()?.add(root.real, root.kind === 'file')
      await this.t.reconcile(root, root.real)
    })
    await this.t.settled()
    return this.info(root)
  }

  /** Stop sharing an extra root (by the path it was added with, or its real path). */
  async remove (path: string): Promise<RootInfo | undefined> {
    this.assertRunning()
    const abs = resolve(path)
    const real = await realpath(abs).catch(() => abs)
    const root = this.t.roots.find(abs, real)
    if (root == null) return undefined
    if (root.name === '' && root.kind === 'dir') throw new ShareFolderError(`${abs} is the share folder; it cannot be unshared`)
    const info = this.info(root)
    await this.t.inOneDelta(() => { this.drop(root) })
    return info
  }

  /**
   * Share files this node wrote (finished downloads) under their network names, a root each, in
   * one update and one delta, with the manifests they were downloaded with (nothing is hashed).
   * Each is shared only while its path holds the very file written (`identity`: checked here, and
   * by the scan at every later change, so a file swapped for another, or for a link to a private
   * one, is never served). One under a shared folder is left to the watcher, its manifest
   * remembered. Returns the paths shared as seeds of their own, their hash cache rows written.
   */
  async addSeeds (seeds: Seed[]): Promise<string[]> {
    this.assertRunning()
    const { own, underFolder } = await resolveSeeds(seeds, path => this.t.roots.underFolder(path))
    for (const { root, manifest } of underFolder) {
      await this.remember(root.path, manifest).catch((err: Error) => { log('not seeding %s: %s', root.path, err.message) })
    }
    const shared: string[] = []
    await this.t.inOneDelta(() => {
      for (const { root, manifest } of own) if (addSeed(root, manifest, this.seedTarget)) shared.push(root.path)
      // their hash cache rows on disk before the caller records the seeds (shares.json): a
      // restart shares a seed from its row, and a seed whose row came later was scanned instead
      if (shared.length > 0) this.writeCache()
    })
    return shared
  }

  /** Record the manifest of a file the node just wrote (a finished download), so that sharing
   * it needs no hashing. */
  async remember (path: string, manifest: Manifest): Promise<void> {
    if (this.t.running()) await this.t.cache()?.remember(path, manifest)
  }

  /** Bring the index in line with the disk at these paths (a watcher batch), under every root
   * holding each. */
  async reconcileBatch (paths: string[]): Promise<void> {
    for (const p of batchTargets(paths, this.t.aliases)) {
      for (const root of [...this.t.roots.containing(p)]) await this.t.reconcile(root, p)
    }
  }

  /** The file shared from `path` (absolute), if any. */
  indexedAt (path: string): IndexedFile | undefined {
    for (const root of this.t.roots.containing(path)) {
      const name = nameFor(root, path)
      const f = name === undefined ? undefined : this.t.table.get(name)
      if (f?.isAt(path) === true) return f
    }
    return undefined
  }

  list (): RootInfo[] {
    return [...this.t.roots].map(root => this.info(root))
  }

  /** What addSeed() changes in the index (see seeds.ts). */
  private readonly seedTarget: SeedTarget = {
    find: (path, real) => this.t.roots.find(path, real),
    dropRoot: root => { this.drop(root) },
    addRoot: root => { this.t.roots.add(root) },
    removeRoot: root => { this.t.roots.delete(root) },
    takenBy: name => this.t.table.get(name)?.path,
    share: (root, found, manifest) => {
      this.t.cache()?.put(root.real, found, manifest)
      this.t.watcher()?.add(root.real, true)
      this.t.set(root, root.name, found, manifest)
    }
  }

  /** Stop sharing a root's files and watching it (in the update queue). */
  private drop (root: Root): void {
    if (!this.t.roots.has(root)) return
    this.t.roots.delete(root)
    this.t.watcher()?.remove(root.real)
    if (root.kind === 'file') {
      if (this.t.table.get(root.name)?.root === root) this.t.drop(root.name)
    } else {
      for (const [name, e] of [...this.t.table.entries()]) if (e.root === root) this.t.drop(name)
    }
    this.t.cancelHashing(root)
    for (const alias of this.t.aliases.keys()) if (isInside(root.real, alias)) this.t.aliases.delete(alias)
  }

  /** Write the hash cache rows put so far (a failure is logged: the rows are only a cache). */
  private writeCache (): void {
    try {
      this.t.cache()?.flush()
    } catch (err: any) {
      log.error('cannot write the hash cache: %s', err.message)
    }
  }

  private info (root: Root): RootInfo {
    return { path: root.path, name: root.name, kind: root.kind, ...this.t.table.rootTotals(root) }
  }

  private assertRunning (): void {
    if (!this.t.running()) throw new ShareFolderError('the share index is not running')
  }
}
