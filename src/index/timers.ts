import { RECONNECT_INITIAL, RECONNECT_MAX } from './constants.js'

export interface BackoffInit {
  /** First delay. @default RECONNECT_INITIAL */
  initial?: number
  /** Cap of the doubling delay. @default RECONNECT_MAX */
  max?: number
}

/** Doubling delays with jitter (so many nodes do not reconnect to a restarted coordinator in
 * step), reset after a success. */
export class Backoff {
  private readonly initial: number
  private readonly max: number
  private next: number

  constructor (init: BackoffInit = {}) {
    this.initial = init.initial ?? RECONNECT_INITIAL
    this.max = init.max ?? RECONNECT_MAX
    this.next = this.initial
  }

  reset (): void {
    this.next = this.initial
  }

  /** Sleep for the current delay (0.75-1.25x), then double it. Resolves early on abort. */
  async wait (signal: AbortSignal): Promise<void> {
    const ms = this.next * (0.75 + Math.random() / 2)
    this.next = Math.min(this.next * 2, this.max)
    await sleep(ms, signal)
  }
}

/** Sleep, resolving early (not rejecting) when `signal` aborts. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * A wake-up call for one waiting loop: `notify()` wakes it now, `notify(ms)` within `ms` (a
 * later notify does not push that back, so a stream of changes is sent at least every `ms`).
 */
export class Wakeup {
  private pending = false
  private waiter?: () => void
  private timer?: ReturnType<typeof setTimeout>

  notify (delay = 0): void {
    if (delay > 0) {
      this.timer ??= setTimeout(() => { this.timer = undefined; this.notify() }, delay)
      return
    }
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending = true
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  /** Resolve on a notify, after `timeout` ms, or on abort; true when notified. */
  async wait (timeout: number, signal: AbortSignal): Promise<boolean> {
    if (!this.pending && !signal.aborted) {
      await new Promise<void>(resolve => {
        const done = (): void => {
          clearTimeout(timer)
          signal.removeEventListener('abort', done)
          this.waiter = undefined
          resolve()
        }
        const timer = setTimeout(done, timeout)
        signal.addEventListener('abort', done, { once: true })
        this.waiter = done
      })
    }
    const notified = this.pending
    this.pending = false
    return notified
  }
}
