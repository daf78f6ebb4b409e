import { logger } from '@libp2p/logger'
import { FirstWalk } from './first-walk.js'
import { ShareWatcher } from './watcher.js'
import type { WalkedFile } from './first-walk.js'
import type { RootSet } from './roots.js'
import type { ShareWatcherOptions } from './watcher.js'

const log = logger('fsnode:share')

export interface IndexWatchInit extends Omit<ShareWatcherOptions, 'onInitial' | 'onBatch'> {
  /** How long a file must be left alone before it counts as written (the watcher's stabilityMs). */
  stabilityMs: number
  target: IndexWatchTarget
}

/** What the watch needs from the index. */
export interface IndexWatchTarget {
  /** The roots whose real paths are watched (as they are when start() runs). */
  roots: RootSet
  /** Runs `fn` in the index's update queue. */
  enqueue: (fn: () => Promise<void>) => Promise<void>
  /** What the index holds now. */
  indexed: () => Iterable<WalkedFile>
  /** What the index holds at an absolute path, if anything. */
  lookup: (path: string) => WalkedFile | undefined
  /** Bring the index in line with these paths. */
  apply: (paths: string[]) => Promise<void>
  /** The watches could not be set up: the share is served without them. */
  failed: (message: string) => void
}

/**
 * The share index's watcher, set up after the scan (the share is served meanwhile): its first
 * walk (chokidar lstats every entry to set up its watches) is checked against the index, so what
 * changed between the scan and the watches is caught up without walking the tree a third time.
 */
export class IndexWatch {
  readonly watcher: ShareWatcher
  private walked?: FirstWalk<WalkedFile>
  private readonly stabilityMs: number
  private readonly target: IndexWatchTarget

  constructor (init: IndexWatchInit) {
    const { target, stabilityMs, ...options } = init
    this.stabilityMs = stabilityMs
    this.target = target
    this.watcher = new ShareWatcher({
      ...options,
      // each batch of changed paths is applied in the update queue, like everything else
      onBatch: paths => { target.enqueue(async () => { await target.apply(paths) }).catch(() => {}) },
      onInitial: (path, st) => { this.walked?.record(path, st) }
    })
  }

  /** Set up the watches, then catch up what changed since the scan. Never rejects: a failure
   * goes to target.failed(). */
  async start (): Promise<void> {
    await this.watch().catch((err: Error) => { this.target.failed(`cannot watch the share: ${err.message}`) })
  }

  private async watch (): Promise<void> {
    const { target } = this
    const walked = this.walked = new FirstWalk(target.lookup)
    await this.watcher.start([...target.roots.folders()].map(r => r.real), [...target.roots].filter(r => r.kind === 'file').map(r => r.real))
    this.walked = undefined
    await target.enqueue(async () => {
      const { changed, settling } = walked.diff(target.indexed(), this.stabilityMs)
      for (const path of settling) this.watcher.settle(path)
      log('watching; %d paths changed since the scan', changed.length + settling.length)
      if (changed.length > 0) await target.apply(changed)
    })
  }
}
