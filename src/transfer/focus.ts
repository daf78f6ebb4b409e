import { FOCUS_BUSY, FOCUS_KEEP, FOCUS_MEMORY, FOCUS_SPARE, FOCUS_STREAK } from './constants.js'

/** One window of a download, as the focus policy sees it. */
export interface FocusSample {
  /** Share of the window this process's event loop was busy, 0-1. */
  busy: number
  /** Bytes per second verified in the window. */
  rate: number
  /** Providers that can still serve the download. */
  providers: number
  /** Requests were held back by this machine (chunks waiting for the disk) at the window's
   * end: its rate says nothing about the providers. */
  heldBack?: boolean
}

/**
 * How many of a download's providers to fetch from. Every provider costs the downloader CPU
 * of its own (a connection's socket reads, window updates for its streams, network buffers
 * that live longer), so once this machine's event loop is busy all the time, more providers
 * only slow the download down: on a 2-core machine three providers ran at 0.74-0.80x one, and
 * at 0.93-0.99x with one of the three in use (bench/HISTORY.md, twelfth pass).
 *
 * - a download starts from `start` providers (one: the provider that answered first with the
 *   manifest), as TCP starts from a small window: starting from all of them and narrowing
 *   once the machine was seen busy cost the first half second of every get (0.86x one
 *   provider; thirteenth pass);
 * - spare (< FOCUS_SPARE, FOCUS_STREAK windows in a row, requests not held back by the
 *   disk): twice as many providers; the providers, not this machine, are the limit, so each
 *   one added adds its rate (a disk that stalls for a while leaves the event loop idle too);
 * - busy (>= FOCUS_BUSY, as long): narrow to the fewest providers not measured clearly slower
 *   than the current count in the last FOCUS_MEMORY windows (a rate is kept per count); busy
 *   that long on the same count, with more not measured lately: try twice as many once;
 * - the window after a change is not counted: requests to the set-aside providers are still
 *   arriving, those to the new ones have not.
 *
 * Pure: one sample per window, no clock, no I/O. The caller picks which providers (the
 * fastest) and keeps the others in reserve.
 */
export class ProviderFocus {
  private inUse = 0
  private providers = 0
  /** Average rate seen with each count of providers in use, and the window it was last seen. */
  private readonly rates = new Map<number, { rate: number, at: number }>()
  private window = 0
  /** The window of the last change of count. */
  private changedAt = 0
  private busyStreak = 0
  private spareStreak = 0
  private settling = false

  /** @param start providers to fetch from in the first window (capped at those there are) */
  constructor (private readonly start = 1) {}

  /** Providers to use now (0 before the first sample). */
  get count (): number {
    return this.inUse
  }

  /** Every provider again (one of those in use failed: the reserve must be free to help). */
  reset (): void {
    if (this.inUse !== this.providers) this.change(this.providers)
  }

  sample (s: FocusSample): number {
    if (s.providers !== this.providers) {
      // the first window (counted: it ran on `start` providers from its beginning), or a
      // provider joined or left: as many as before, if there are (one in use that failed
      // brought the reserve back through reset() first); what was measured still holds
      const first = this.providers === 0
      this.providers = s.providers
      this.change(Math.min(first ? this.start : this.inUse, s.providers))
      this.settling = !first
      if (!first) return this.inUse
    }
    if (this.settling) {
      this.settling = false
      return this.inUse
    }
    const k = this.inUse
    const before = this.rates.get(k)?.rate
    const now = before == null ? s.rate : s.heldBack === true ? before : (before + s.rate) / 2
    // the first windows are not kept: a download's start (streams opening, the first
    // responses) is slow whatever the count, and would make that count look slow
    if (++this.window > FOCUS_STREAK && s.heldBack !== true) this.rates.set(k, { rate: now, at: this.window })
    this.busyStreak = s.busy >= FOCUS_BUSY ? this.busyStreak + 1 : 0
    // an idle event loop waiting for the disk is no CPU to spare for providers
    this.spareStreak = s.busy < FOCUS_SPARE && s.heldBack !== true ? this.spareStreak + 1 : 0
    const wider = Math.min(this.providers, k * 2)
    if (this.spareStreak >= FOCUS_STREAK && k < this.providers) return this.change(wider)
    if (this.busyStreak < FOCUS_STREAK) return k
    for (let fewer = 1; fewer < k; fewer++) {
      // a rate seen long ago is tried again: a stall (a provider's disk, a pause) may have
      // made fewer providers look slow, which kept the download on more ever after
      const seen = this.rates.get(fewer)
      if (this.stale(fewer) || (seen != null && seen.rate >= FOCUS_KEEP * now)) return this.change(fewer)
    }
    // busy for FOCUS_MEMORY windows on these providers, and more not measured lately: try more
    // once. The provider a download starts from is the first to answer, not the fastest, and
    // on a machine busy with other work no window is spare to show that another is faster.
    if (k < this.providers && this.window - this.changedAt > FOCUS_MEMORY && this.stale(wider)) return this.change(wider)
    return k
  }

  /** No rate measured with `count` providers in the last FOCUS_MEMORY windows. */
  private stale (count: number): boolean {
    const seen = this.rates.get(count)
    return seen == null || this.window - seen.at > FOCUS_MEMORY
  }

  private change (k: number): number {
    this.inUse = k
    this.changedAt = this.window
    this.settling = true
    this.busyStreak = 0
    this.spareStreak = 0
    return k
  }
}
