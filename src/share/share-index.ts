import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { DELTA_FLUSH_MS, MANY_FILES, WRITE_STABILITY_MS } from './constants.js'
import { DeltaBuffer, FileTable } from './file-table.js'
import { HashCache } from './hash-cache.js'
import { HashQueue } from './hash-queue.js'
import { IndexWatch } from './index-watch.js'
import { RootSet } from './roots.js'
import { reconcile } from './reconcile.js'
import { restoreCached } from './restore.js'
import { RootOps } from './root-ops.js'
import { UpdateQueue } from './update-queue.js'
import { Startup } from './startup.js'
import { IndexedFile } from './shared-file.js'
import type { Manifest } from '../wire/file-manifest.js'
import type { ReconcileTarget } from './reconcile.js'
import type { Root } from './roots.js'
import type { ScannedFile } from './scanner.js'
import type { RootInfo, Seed, ShareIndexEvents, ShareIndexOptions, SharedFile, ShareSource, ShareStats } from './types.js'
import type { CID } from 'multiformats/cid'

const log = logger('fsnode:share')

export type { RootInfo, Seed, ShareIndexEvents, ShareIndexOptions, ShareStats } from './types.js'

export interface ShareIndex {
  addEventListener<K extends keyof ShareIndexEvents>(type: K, listener: ((evt: ShareIndexEvents[K]) => void) | null, options?: boolean | AddEventListenerOptions): void
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void
  removeEventListener<K extends keyof ShareIndexEvents>(type: K, listener: ((evt: ShareIndexEvents[K]) => void) | null, options?: boolean | EventListenerOptions): void
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void
}

/**
 * What this node shares: every regular file under the share roots, by name and by file id,
 * kept current by a watcher and announced as deltas. Manifests come from the hash cache when the
 * file is unchanged (size, ctime, inode, device), so a restart re-hashes nothing. Mutations run
 * one at a time on a queue; hashing runs beside it, a few files at once.
 */
export class ShareIndex extends EventTarget implements ShareSource {
  private readonly options: ShareIndexOptions
  private readonly rootSet = new RootSet()
  private readonly table = new FileTable()
  private readonly delta: DeltaBuffer
  private readonly updates: UpdateQueue
  /** Followed symlinks (path → real target): events at the target also concern the link. */
  private readonly aliases = new Map<string, string>()
  private readonly revalidating = new Set<string>()
  private exclude: string[] = []
  private readonly hashes: HashQueue
  private readonly abort = new AbortController()
  private cache?: HashCache
  private watch?: IndexWatch
  private recording = false
  private running = false
  private cached = 0
  private lastError?: string
  /** The initial scan, then the watcher (see startup.ts). */
  private readonly startup: Startup
  /** The initial scan is running: a file already indexed and found unchanged came from the cache. */
  private initialScan = false

  constructor (options: ShareIndexOptions) {
    super()
    this.options = options
    this.delta = new DeltaBuffer(options.flushMs ?? DELTA_FLUSH_MS, delta => {
      if (this.recording) this.dispatchEvent(new CustomEvent('change', { detail: delta }))
    })
    this.updates = new UpdateQueue({
      active: () => this.running,
      delta: this.delta,
      onError: err => {
        if (this.abort.signal.aborted) return
        this.lastError = err.message
        log.error('share index update failed: %s', err.message)
      }
    })
    this.hashes = new HashQueue({
      concurrency: options.hashConcurrency,
      signal: this.abort.signal,
      exclude: () => this.exclude,
      onResult: (path, key, manifest) => { if (this.running) this.cache?.put(path, key, manifest) },
      onHashed: (root, name, file, manifest) => {
        if (this.running && this.rootSet.has(root)) this.set(root, name, file, manifest)
      },
      onError: message => {
        this.lastError = message
        log.error(message)
      }
    })
    this.sync = {
      table: this.table,
      hashes: this.hashes,
      aliases: this.aliases,
      signal: this.abort.signal,
      cache: () => this.cache,
      exclude: () => this.exclude,
      initialScan: () => this.initialScan,
      cachedOne: () => { this.cached++ },
      set: (root, name, f, manifest) => { this.set(root, name, f, manifest) },
      drop: name => { this.drop(name) }
    }
    this.startup = new Startup({
      signal: this.abort.signal,
      running: () => this.running,
      scanRoots: async () => { await this.updates.run(async () => { await this.scanRoots() }) },
      scanFinished: ms => {
        this.cache?.prune(path => this.rootOps.indexedAt(path) != null)
        this.recording = true
        log('sharing %d files (%d bytes) in %d ms: %d hashed, %d cached', this.table.size, this.table.bytes,
          ms, this.hashes.hashed, this.cached)
      },
      watch: async () => { await this.watch?.start() }
    })
  }

  /**
   * Scan and hash every root, then follow changes. Resolves once files() is complete; the
   * watcher is set up after that (see watch()), at once or, with `deferWatch`, when
   * startWatching() is called (a daemon: once it answers, so the watcher's walk does not delay that).
   *
   * With `cachedFirst` (a daemon's restart), it resolves as soon as the files the hash cache
   * knows under the roots are in the index, without looking at them; the scan runs after (with
   * `deferWatch`, from startWatching()): it drops what is gone, re-hashes what changed and adds
   * what is new, sent as changes like the watcher's (scanned() resolves when it is done).
   * Meanwhile a file changed on disk is never served stale: the chunk server checks every file it
   * opens against the index's change key (size, ctime, inode, device) and asks for a revalidation
   * when it differs. A cache holding none of the roots' files (a first start) waits for the scan
   * as without the option.
   */
  async start (options: { signal?: AbortSignal, deferWatch?: boolean, cachedFirst?: boolean } = {}): Promise<void> {
    if (this.running) return
    if (this.abort.signal.aborted) throw new Error('a stopped ShareIndex cannot be started again; create a new one')
    const onAbort = (): void => { this.abort.abort(options.signal?.reason) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const t0 = performance.now()
      this.cache = new HashCache(this.options.dataDir)
      this.running = true
      // the data dir holds the node's private key: never share it, even inside a shared folder
      this.exclude = await Promise.all([this.options.dataDir, ...(this.options.exclude ?? [])]
        .map(async p => await realpath(resolve(p)).catch(() => resolve(p))))
      await this.rootOps.addConfigured(this.options.roots, message => { this.warn(message) })
      if (this.options.watch !== false) {
        this.watch = new IndexWatch({
          ...this.options.watch,
          stabilityMs: this.options.watch?.stabilityMs ?? WRITE_STABILITY_MS,
          exclude: this.exclude,
          onFallback: message => { this.warn(message) },
          target: {
            roots: this.rootSet,
            enqueue: async fn => { await this.updates.run(fn) },
            indexed: () => this.table.each(),
            lookup: path => this.rootOps.indexedAt(path),
            apply: async paths => { await this.rootOps.reconcileBatch(paths) },
            failed: message => {
              if (this.abort.signal.aborted) return
              this.lastError = message
              log.error(message)
            }
          }
        })
      }
      const early = options.cachedFirst === true && this.shareCached() > 0
      if (early) {
        log('sharing %d files from the hash cache after %d ms', this.table.size, Math.round(performance.now() - t0))
        // what the scan corrects in the files already shared goes out as changes
        this.recording = true
        this.startup.scanOnWatch()
        if (options.deferWatch !== true) this.startWatching()
        return
      }
      await this.startup.scan(t0)
      if (options.deferWatch !== true) this.startWatching()
    } catch (err) {
      await this.stop()
      throw err
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Resolves once the initial scan is done (see start()); rejects when it failed. */
  async scanned (): Promise<void> {
    await this.startup.scanned()
  }

  /** Set up the watcher (see IndexWatch), after start({ deferWatch: true }); once. After a
   * cachedFirst start, the scan first (see start()), then the watcher. */
  startWatching (): void {
    this.startup.startWatching()
  }

  /** The initial scan: every root walked, what the cache does not know hashed (its rows read a
   * folder at a time: it is asked for most of them). */
  private async scanRoots (): Promise<void> {
    this.cache?.preload()
    this.initialScan = true
    try {
      for (const root of this.rootSet) await reconcile(this.sync, root, root.real)
    } finally {
      this.initialScan = false
      this.cache?.release()
    }
    await this.hashes.idle()
  }

  /** Share what the hash cache holds under the roots, as the last scan found it (see start()). */
  private shareCached (): number {
    if (this.cache == null) return 0
    return restoreCached({ cache: this.cache, roots: this.rootSet, exclude: this.exclude, table: this.table, added: () => { this.counted() } })
  }

  /** A file went into the table: a large share makes V8 favour memory (once, at MANY_FILES). */
  private counted (): void {
    if (this.table.size === MANY_FILES) this.options.onManyFiles?.()
  }

  /** Resolves once the watcher is in place and what changed before it was caught up. */
  async watched (): Promise<void> {
    await this.startup.watched()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.recording = false
    this.delta.cancel()
    this.abort.abort(new Error('share index stopped'))
    this.startup.stopped()
    await this.watch?.watcher.close()
    await this.startup.watched()
    await this.updates.idle()
    await this.hashes.idle()
    this.cache?.close()
  }

  files (): SharedFile[] {
    return this.table.files()
  }

  /** Every shared file, read as the caller iterates (names added or removed meanwhile may or
   * may not be seen; the change events say what changed). With its file id's bytes: a snapshot
   * of every file needs no CID per file. */
  each (): Iterable<SharedFile & { fileIdBytes: Uint8Array }> {
    return this.table.each()
  }

  /** Every shared file id once, as a one-byte string of its 36 bytes (the provide upkeep's
   * key), made as it is read; the iteration follows changes made meanwhile. */
  fileIdKeys (): Iterable<string> {
    return this.table.idKeys()
  }

  /** True when a shared file has the id whose bytes are the one-byte string `key`. */
  hasFileIdKey (key: string): boolean {
    return this.table.hasIdKey(key)
  }

  /** Distinct file ids shared. */
  get fileIdCount (): number {
    return this.table.idCount
  }

  get size (): number {
    return this.table.size
  }

  getByName (name: string): SharedFile | undefined {
    return this.table.get(name)
  }

  /** Any one of the files with this id (several names can hold the same content). */
  getByFileId (fileId: CID): SharedFile | undefined {
    return this.table.byId(fileId)
  }

  roots (): RootInfo[] {
    return this.rootOps.list()
  }

  /** True when `path` (absolute) is inside a shared folder: the watcher shares it without a root of its own. */
  isUnderFolderRoot (path: string): boolean {
    return this.rootSet.underFolder(path)
  }

  stats (): ShareStats {
    return {
      files: this.table.size,
      bytes: this.table.bytes,
      hashed: this.hashes.hashed,
      cached: this.cached,
      hashedBytes: this.hashes.hashedBytes,
      hashing: this.hashes.size,
      scanMs: this.startup.scanMs,
      watching: this.watch?.watcher.mode ?? 'off',
      lastError: this.lastError ?? this.watch?.watcher.lastError
    }
  }

  /** Share a folder or a file outside the share folder (see RootOps.add()). */
  async addRoot (path: string, name?: string): Promise<RootInfo> {
    return await this.rootOps.add(path, name)
  }

  /** Stop sharing an extra root (by the path it was added with, or its real path). */
  async removeRoot (path: string): Promise<RootInfo | undefined> {
    return await this.rootOps.remove(path)
  }

  /** Share files this node wrote (finished downloads), a root each (see RootOps.addSeeds()). */
  async addSeeds (seeds: Seed[]): Promise<string[]> {
    return await this.rootOps.addSeeds(seeds)
  }

  /** A file was found changed behind the index's back (a chunk did not match, or its path now
   * opens another file): drop it at once, then scan and re-hash it. */
  revalidate (file: SharedFile): void {
    const entry = this.table.get(file.name)
    if (!this.running || entry?.fileId.equals(file.fileId) !== true) return
    if (this.revalidating.has(file.name)) return
    this.revalidating.add(file.name)
    log('revalidating %s', file.name)
    // neither served nor announced until the scan says what the path holds now: a folder along
    // it may have been swapped for a symlink leading out of the share
    this.drop(file.name)
    this.updates.run(async () => {
      try {
        await reconcile(this.sync, entry.root, entry.path, true)
      } finally {
        this.revalidating.delete(file.name)
      }
    }).catch(() => {})
  }

  /** Record the manifest of a file the node just wrote (a finished download), so that sharing
   * it needs no hashing. */
  async remember (path: string, manifest: Manifest): Promise<void> {
    await this.rootOps.remember(path, manifest)
  }

  /** Resolves once queued changes are applied, hashed, and sent. */
  async settled (): Promise<void> {
    await this.updates.idle()
    await this.hashes.idle()
    this.delta.flush()
  }

  /** What reconcile() reads and changes of the index (see reconcile.ts). */
  private readonly sync: ReconcileTarget

  /** Adding and removing roots and seeds (see root-ops.ts). */
  private readonly rootOps = new RootOps({
    roots: this.rootSet,
    aliases: this.aliases,
    table: this.table,
    running: () => this.running,
    enqueue: async fn => { await this.updates.run(fn) },
    inOneDelta: async fn => { await this.updates.inOneDelta(fn) },
    settled: async () => { await this.settled() },
    reconcile: async (root, path) => { await reconcile(this.sync, root, path) },
    watcher: () => this.watch?.watcher,
    drop: name => { this.drop(name) },
    cancelHashing: root => { this.hashes.cancelWhere((_, r) => r === root) },
    set: (root, name, f, manifest) => { this.set(root, name, f, manifest) },
    cache: () => this.cache
  })

  private set (root: Root, name: string, f: Omit<ScannedFile, 'name'>, manifest: Manifest | string): void {
    const file = new IndexedFile(name, root, f.path, f, manifest)
    this.table.set(file)
    this.counted()
    if (this.recording) this.delta.add(file)
  }

  private drop (name: string): void {
    this.hashes.cancel(name)
    if (this.table.delete(name) != null && this.recording) this.delta.remove(name)
  }

  private warn (message: string): void {
    this.lastError = message
    log.error(message)
    this.dispatchEvent(new CustomEvent('warning', { detail: message }))
  }
}
