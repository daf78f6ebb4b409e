import { BURST_SECONDS, LIMITED_PIECE_BYTES, MAX_WAIT_MS, MIN_PIECE_BYTES, MIN_BURST_BYTES } from './constants.js'

/** What the chunk server and the downloader wait on before moving bytes. */
export interface RateLimiter {
  /** Resolves when `bytes` may move now; rejects with the signal's reason when it aborts. */
  take (bytes: number, signal?: AbortSignal): Promise<void>
  /** How many bytes to move per take, at most `max`: small pieces while a limit is on, so
   * streams sharing a slow rate take turns often. */
  pieceBytes (max: number): number
}

interface Waiter {
  bytes: number
  resolve: () => void
  reject: (err: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * A token bucket whose rate can change at any time (0 = unlimited). Tokens refill at `rate`
 * bytes/s up to a small burst; a take is granted while the balance is positive and may leave it
 * negative (a debt the next takers wait out), so a piece larger than the burst still passes and
 * the long-run rate is exactly `rate`. Waiters are served first come, first served.
 */
export class TokenBucket implements RateLimiter {
  private rateValue = 0
  private tokens = 0
  private last = performance.now()
  private readonly queue: Waiter[] = []
  private timer?: ReturnType<typeof setTimeout>

  constructor (rate = 0) {
    this.setRate(rate)
  }

  get rate (): number {
    return this.rateValue
  }

  /** Takes effect at once: waiters are re-timed against the new rate. */
  setRate (rate: number): void {
    if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`bad rate ${rate}`)
    this.refill()
    const wasUnlimited = this.rateValue === 0
    this.rateValue = rate
    if (wasUnlimited) this.tokens = this.burst
    this.tokens = Math.min(this.tokens, this.burst)
    this.pump()
  }

  pieceBytes (max: number): number {
    if (this.rateValue === 0) return max
    // about a burst's worth: at a slow rate a piece still goes out every fraction of a second
    return Math.min(max, LIMITED_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, Math.floor(this.rateValue * BURST_SECONDS)))
  }

  private get burst (): number {
    return Math.max(MIN_BURST_BYTES, this.rateValue * BURST_SECONDS)
  }

  async take (bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.rateValue === 0) return
    this.refill()
    if (this.queue.length === 0 && this.tokens > 0) {
      this.tokens -= bytes
      return
    }
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = { bytes, resolve, reject, signal }
      if (signal != null) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w)
          if (i !== -1) this.queue.splice(i, 1)
          reject(signal.reason)
          this.pump()
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.queue.push(w)
      this.pump()
    })
  }

  private refill (): void {
    const now = performance.now()
    if (this.rateValue > 0) this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / 1000 * this.rateValue)
    this.last = now
  }

  /** Grant what the balance allows, then sleep until the next waiter's turn. */
  private pump (): void {
    if (this.timer != null) { clearTimeout(this.timer); this.timer = undefined }
    this.refill()
    while (this.queue.length > 0 && (this.rateValue === 0 || this.tokens > 0)) {
      const w = this.queue.shift() as Waiter
      if (this.rateValue > 0) this.tokens -= w.bytes
      if (w.onAbort != null) w.signal?.removeEventListener('abort', w.onAbort)
      w.resolve()
    }
    if (this.queue.length === 0) return
    const ms = Math.min(MAX_WAIT_MS, Math.max(1, Math.ceil((1 - this.tokens) / this.rateValue * 1000)))
    this.timer = setTimeout(() => { this.timer = undefined; this.pump() }, ms)
  }
}
