import { logger } from '@libp2p/logger'
import { HASH_CONCURRENCY, HASH_QUEUE_HIGH, SMALL_FILE_SIZE, SMALL_HASH_CONCURRENCY } from './constants.js'
import { FileChangedError, OtherFileError } from './errors.js'
import { sameKey } from './file-key.js'
import { hashFileStat } from './hasher.js'
import { Limiter } from './limit.js'
import type { FileKey } from './file-key.js'
import type { Manifest } from '../wire/file-manifest.js'
import type { Root } from './roots.js'
import type { ScannedFile } from './scanner.js'

const log = logger('fsnode:share')

interface Pending extends FileKey {
  gen: number
  root: Root
  path: string
}

export interface HashQueueInit {
  /** Large files hashed at once. */
  concurrency?: number
  signal: AbortSignal
  /** A file hashed and still wanted: its manifest, with the size/mtime/inode it belongs to. */
  onHashed: (root: Root, name: string, file: ScannedFile, manifest: Manifest) => void
  /** Every successful hash, wanted or not (for the hash cache). */
  onResult: (path: string, key: FileKey, manifest: Manifest) => void
  onError: (message: string) => void
  /** Real paths never shared (the node's data dir): an opened file must not lie under them. */
  exclude?: () => readonly string[]
}

/**
 * Files waiting to be hashed, by name. A newer request for a name (or a cancel) makes an older
 * one's result void, so a file that changes again while hashed is never announced stale.
 * Small files are bound by syscalls rather than bandwidth, so they get a wider lane of their own.
 */
export class HashQueue {
  hashed = 0
  hashedBytes = 0
  private readonly large: Limiter
  private readonly small = new Limiter(SMALL_HASH_CONCURRENCY)
  private readonly pending = new Map<string, Pending>()
  private gen = 0

  constructor (private readonly init: HashQueueInit) {
    this.large = new Limiter(init.concurrency ?? HASH_CONCURRENCY)
  }

  /** Files waiting for or being hashed. */
  get size (): number {
    return this.large.size + this.small.size
  }

  /** True when this exact file version is already waiting or being hashed under this name. */
  has (name: string, f: ScannedFile): boolean {
    const p = this.pending.get(name)
    return p?.path === f.path && sameKey(p, f)
  }

  /** Hash `f` for `name`; waits while too many files are queued (a scan must not run ahead). */
  async submit (root: Root, name: string, f: ScannedFile): Promise<void> {
    const gen = ++this.gen
    this.pending.set(name, { gen, root, path: f.path, size: f.size, ctimeMs: f.ctimeMs, ino: f.ino, dev: f.dev })
    const lane = f.size <= SMALL_FILE_SIZE ? this.small : this.large
    await lane.room(HASH_QUEUE_HIGH)
    lane.run(async () => { await this.hash(root, name, f, gen) }).catch(() => {})
  }

  cancel (name: string): void {
    this.pending.delete(name)
  }

  cancelWhere (match: (name: string, root: Root) => boolean): void {
    for (const [name, p] of this.pending) if (match(name, p.root)) this.pending.delete(name)
  }

  async idle (): Promise<void> {
    while (this.size > 0) await Promise.all([this.small.idle(), this.large.idle()])
  }

  private async hash (root: Root, name: string, f: ScannedFile, gen: number): Promise<void> {
    const current = (): boolean => this.pending.get(name)?.gen === gen
    if (!current()) return
    const { path } = f
    try {
      // the handle must be the file the scan found inside the share, not what the path leads to now
      const res = await hashFileStat(path, { signal: this.init.signal, expect: f, within: root.real, exclude: this.init.exclude?.() })
      this.hashed++
      this.hashedBytes += res.size
      this.init.onResult(path, res, res.manifest)
      if (!current()) return
      this.pending.delete(name)
      this.init.onHashed(root, name, { name, path, size: res.size, mtimeMs: res.mtimeMs, ctimeMs: res.ctimeMs, ino: res.ino, dev: res.dev }, res.manifest)
    } catch (err: any) {
      if (current()) this.pending.delete(name)
      if (this.init.signal.aborted) return
      if (err instanceof OtherFileError) {
        // never shared: a rename inside the share is reported by the watcher and scanned afresh
        log.error('not sharing %s: %s', path, err.message)
        return
      }
      if (err instanceof FileChangedError || err.code === 'ENOENT') {
        // the watcher reports the file again once it is stable (or gone)
        log('not sharing %s yet: %s', path, err.message)
        return
      }
      this.init.onError(`cannot hash ${path}: ${err.message}`)
    }
  }
}
