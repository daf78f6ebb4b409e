import { FOCUS_BUSY, FOCUS_KEEP, FOCUS_SPARE, FOCUS_STREAK } from './constants.js'

/** One window of a download, as the focus policy sees it. */
export interface FocusSample {
  /** Share of the window this process's event loop was busy, 0-1. */
  busy: number
  /** Bytes per second verified in the window. */
  rate: number
  /** Providers that can still serve the download. */
  providers: number
}

/**
 * How many of a download's providers to fetch from. Every provider costs the downloader CPU
 * of its own (a connection's socket reads, window updates for its streams, network buffers
 * that live longer), so once this machine's event loop is busy all the time, more providers
 * only slow the download down: on a 2-core machine three providers ran at 0.74-0.80x one, and
 * at 0.93-0.99x with one of the three in use (bench/HISTORY.md, twelfth pass).
 *
 * - busy (>= FOCUS_BUSY of FOCUS_STREAK windows in a row): narrow to the fewest providers
 *   not measured clearly slower than the current count (a rate is kept per count);
 * - spare (< FOCUS_SPARE, as long): one more provider; the providers, not this machine, are
 *   the limit;
 * - the window after a change is not counted: requests to the set-aside providers are still
 *   arriving.
 *
 * Pure: one sample per window, no clock, no I/O. The caller picks which providers (the
 * fastest) and keeps the others in reserve.
 */
export class ProviderFocus {
  private inUse = 0
  private providers = 0
  /** Average rate seen with each count of providers in use. */
  private readonly rates = new Map<number, number>()
  private busyStreak = 0
  private spareStreak = 0
  private settling = false

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
      // the first window, or a provider joined or left: start from all of them (the first
      // window is counted: nothing was set aside before it); what was measured still holds
      const first = this.providers === 0
      this.providers = s.providers
      this.change(s.providers)
      this.settling = !first
      if (!first) return this.inUse
    }
    if (this.settling) {
      this.settling = false
      return this.inUse
    }
    const k = this.inUse
    const before = this.rates.get(k)
    const now = before == null ? s.rate : (before + s.rate) / 2
    this.rates.set(k, now)
    this.busyStreak = s.busy >= FOCUS_BUSY ? this.busyStreak + 1 : 0
    this.spareStreak = s.busy < FOCUS_SPARE ? this.spareStreak + 1 : 0
    if (this.busyStreak >= FOCUS_STREAK && k > 1) {
      for (let fewer = 1; fewer < k; fewer++) {
        const seen = this.rates.get(fewer)
        if (seen == null || seen >= FOCUS_KEEP * now) return this.change(fewer)
      }
    } else if (this.spareStreak >= FOCUS_STREAK && k < this.providers) {
      return this.change(k + 1)
    }
    return k
  }

  private change (k: number): number {
    this.inUse = k
    this.settling = true
    this.busyStreak = 0
    this.spareStreak = 0
    return k
  }
}
