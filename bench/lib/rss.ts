import { readFileSync, writeFileSync } from 'node:fs'
import { MB } from './units.js'

const KB = 1024
/** /proc/<pid>/clear_refs: writing 5 resets the peak RSS (VmHWM) to the current RSS. */
const CLEAR_PEAK_RSS = '5'
const DEFAULT_INTERVAL_MS = 50

/** A `Vm*` field of /proc/<pid>/status in bytes, or undefined if the process is gone. */
export function procStatusBytes (pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)
    return m == null ? undefined : Number(m[1]) * KB
  } catch {
    return undefined
  }
}

/** Reset the kernel's peak-RSS mark so VmHWM covers only what follows. False if not allowed. */
export function resetPeakRss (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, CLEAR_PEAK_RSS)
    return true
  } catch {
    return false
  }
}

/**
 * Peak RSS of running processes over an interval: resets VmHWM at start (where the kernel lets
 * us), polls VmRSS meanwhile (in case it does not, or the process exits first), and at stop
 * takes the larger of the sampled peak and VmHWM.
 */
export class PeakRss {
  private readonly peaks = new Map<number, number>()
  private readonly resettable = new Map<number, boolean>()
  private timer?: NodeJS.Timeout

  constructor (private readonly pids: number[], private readonly intervalMs = DEFAULT_INTERVAL_MS) {}

  start (): this {
    for (const pid of this.pids) {
      this.resettable.set(pid, resetPeakRss(pid))
      this.peaks.set(pid, 0)
    }
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
    this.timer.unref()
    return this
  }

  private sample (): void {
    for (const pid of this.pids) {
      const rss = procStatusBytes(pid, 'VmRSS')
      if (rss != null) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss))
    }
  }

  /** Peak RSS per pid in MB. */
  stop (): Map<number, number> {
    if (this.timer != null) clearInterval(this.timer)
    this.sample()
    const out = new Map<number, number>()
    for (const pid of this.pids) {
      let peak = this.peaks.get(pid) ?? 0
      const hwm = this.resettable.get(pid) === true ? procStatusBytes(pid, 'VmHWM') : undefined
      if (hwm != null) peak = Math.max(peak, hwm)
      out.set(pid, peak / MB)
    }
    return out
  }
}
