import type { DeltaBuffer } from './file-table.js'

export interface UpdateQueueInit {
  /** Whether queued changes still run (false once the index stops). */
  active: () => boolean
  /** Where the index's changes are collected before they are sent. */
  delta: DeltaBuffer
  /** A change that failed; the ones after it still run. */
  onError: (err: Error) => void
}

/**
 * The share index's changes, one at a time and in order (scans, watcher batches, roots added or
 * removed, revalidations), so none sees the table half-changed by another.
 */
export class UpdateQueue {
  private tail: Promise<void> = Promise.resolve()

  constructor (private readonly init: UpdateQueueInit) {}

  /** Runs `fn` after every change queued before it; rejects with its error. */
  async run (fn: () => Promise<void>): Promise<void> {
    const p = this.tail.then(async () => {
      if (this.init.active()) await fn()
    })
    this.tail = p.catch((err: Error) => { this.init.onError(err) })
    await p
  }

  /** Runs `fn` in the queue, its changes held for one delta sent when it is done. */
  async inOneDelta (fn: () => void): Promise<void> {
    const { delta } = this.init
    await this.run(async () => {
      delta.hold()
      try {
        fn()
      } finally {
        delta.release()
      }
    })
    delta.flush()
  }

  /** Resolves once every change queued so far has run, failed or not. */
  async idle (): Promise<void> {
    await this.tail
  }
}
