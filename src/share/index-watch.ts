import { logger } from '@libp2p/logger'
import { FirstWalk } from './first-walk.js'
import { ShareWatcher } from './watcher.js'
import type { WalkedFile } from './first-walk.js'
import type { ShareWatcherOptions } from './watcher.js'

const log = logger('fsnode:share')

export interface IndexWatchInit extends Omit<ShareWatcherOptions, 'onInitial'> {
  /** How long a file must be left alone before it counts as written (the watcher's stabilityMs). */
  stabilityMs: number
}

/** What the watch needs from the index, once the scan is done. */
export interface IndexWatchTarget {
  dirs: string[]
  files: string[]
  /** Runs `fn` in the index's update queue. */
  enqueue: (fn: () => Promise<void>) => Promise<void>
  /** What the index holds now. */
  indexed: () => Iterable<WalkedFile>
  /** What the index holds at an absolute path, if anything. */
  lookup: (path: string) => WalkedFile | undefined
  /** Bring the index in line with these paths. */
  apply: (paths: string[]) => Promise<void>
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

  constructor (init: IndexWatchInit) {
    this.stabilityMs = init.stabilityMs
    this.watcher = new ShareWatcher({ ...init, onInitial: (path, st) => { this.walked?.record(path, st) } })
  }

  /** Set up the watches, then catch up what changed since the scan. */
  async start (target: IndexWatchTarget): Promise<void> {
    const walked = this.walked = new FirstWalk(target.lookup)
    await this.watcher.start(target.dirs, target.files)
    this.walked = undefined
    await target.enqueue(async () => {
      const { changed, settling } = walked.diff(target.indexed(), this.stabilityMs)
      for (const path of settling) this.watcher.settle(path)
      log('watching; %d paths changed since the scan', changed.length + settling.length)
      if (changed.length > 0) await target.apply(changed)
    })
  }
}
