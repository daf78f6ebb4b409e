import { TransferTimeoutError } from './errors.js'

/**
 * An AbortSignal that fires when `kick()` has not been called for `ms`: a timeout on progress
 * rather than on the whole operation. `disarm()` while idle, `kick()` on every byte.
 */
export class Watchdog {
  private readonly controller = new AbortController()
  private timer?: NodeJS.Timeout
  readonly signal: AbortSignal

  constructor (private readonly ms: number, parent?: AbortSignal) {
    this.signal = parent == null ? this.controller.signal : AbortSignal.any([parent, this.controller.signal])
  }

  get fired (): boolean {
    return this.controller.signal.aborted
  }

  kick (): void {
    if (this.timer == null) {
      this.timer = setTimeout(() => {
        this.controller.abort(new TransferTimeoutError(`no data for ${this.ms} ms`))
      }, this.ms)
      this.timer.unref()
    } else {
      this.timer.refresh()
    }
  }

  disarm (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}

/** Wakes every waiter when the download's state changes (a chunk done, failed or freed). */
export class Wakeup {
  private waiters: Array<() => void> = []

  notify (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolve on the next notify(), or after `timeout` ms when given; reject on abort. */
  async wait (signal: AbortSignal, timeout?: number): Promise<void> {
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.waiters = this.waiters.filter(w => w !== wake)
        if (err != null) reject(err)
        else resolve()
      }
      const onAbort = (): void => { finish(signal.reason) }
      const wake = (): void => { finish() }
      const timer = timeout == null ? undefined : setTimeout(wake, timeout)
      this.waiters.push(wake)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}
