import { logger } from '@libp2p/logger'

const log = logger('fsnode:share')

/** What the start-up sequence asks of the index (see ShareIndex). */
export interface StartupTarget {
  readonly signal: AbortSignal
  running: () => boolean
  /** The initial walk of every root, hashing included; runs in the index's update queue. */
  scanRoots: () => Promise<void>
  /** The walk is done: what follows goes out as changes. */
  scanFinished: (ms: number) => void
  /** Set up the watcher (nothing when the index does not watch); never rejects. */
  watch: () => Promise<void>
}

/**
 * The order a share index starts in: the initial scan, then the watcher. A daemon asks for the
 * watcher once it answers (so the watcher's walk does not delay that), and after a restart from
 * the hash cache the scan itself waits for that moment (see ShareIndex.start()); whichever comes
 * first, the watcher is set up only after the scan, once.
 */
export class Startup {
  /** The initial scan's duration; 0 until it is done. */
  scanMs = 0
  private readonly scanning = Promise.withResolvers<void>()
  /** The scan a cachedFirst start left for startWatching(). */
  private scanLater?: () => void
  /** startWatching() was asked for: it runs once the scan is done. */
  private watchWanted = false
  private done = false
  private watching?: Promise<void>

  constructor (private readonly target: StartupTarget) {
    this.scanning.promise.catch(() => {}) // a failed scan is the start's error, or lastError
  }

  /** The initial scan, now; resolves when it is done. */
  async scan (t0 = performance.now()): Promise<void> {
    try {
      await this.target.scanRoots()
      this.target.signal.throwIfAborted()
    } catch (err) {
      this.scanning.reject(err)
      throw err
    }
    this.scanMs = Math.max(1, Math.round(performance.now() - t0)) // 0 means not done
    this.target.scanFinished(this.scanMs)
    this.done = true
    this.scanning.resolve()
    if (this.watchWanted) this.startWatching()
  }

  /** Leave the initial scan for startWatching() (a restart already sharing from the cache). */
  scanOnWatch (): void {
    this.scanLater = () => {
      this.scan().catch((err: Error) => { log('initial scan failed: %s', err.message) })
    }
  }

  /** Set up the watcher, after the scan; once. A scan left by scanOnWatch() runs first. */
  startWatching (): void {
    const scan = this.scanLater
    this.scanLater = undefined
    if (scan != null && this.target.running()) {
      this.watchWanted = true
      scan()
      return
    }
    if (!this.target.running() || !this.done || this.watching != null) return
    this.watching = this.target.watch()
  }

  /** Resolves once the initial scan is done; rejects when it failed or the index stopped. */
  async scanned (): Promise<void> {
    await this.scanning.promise
  }

  /** Resolves once the watcher is in place (see IndexWatch), or at once when there is none. */
  async watched (): Promise<void> {
    await this.watching
  }

  /** The index stopped: a scan not done yet never will be. */
  stopped (): void {
    this.scanning.reject(new Error('share index stopped'))
  }
}
