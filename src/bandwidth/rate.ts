import { InvalidRateError } from './errors.js'

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3
}

/** Most a rate may be: above this it is a typo, not a limit (1 TiB/s). */
export const MAX_RATE = 1024 ** 4

/**
 * Bytes per second from `4MiB`, `500KiB`, `2.5MB/s`, `1048576` or a number; 0 means no limit.
 * K/M/G alone are binary (as Syncthing's KiB/s), KB/MB/GB decimal.
 */
export function parseRate (value: string | number): number {
  let n: number
  if (typeof value === 'number') {
    n = value
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*?)(?:\/s)?\s*$/i.exec(value)
    const unit = m == null ? undefined : UNITS[m[2].toLowerCase()]
    if (m == null || unit == null) throw new InvalidRateError(`not a rate: ${JSON.stringify(value).slice(0, 40)} (expected e.g. 4MiB, 500KiB, or 0 for none)`)
    n = Number(m[1]) * unit
  }
  if (!Number.isFinite(n) || n < 0) throw new InvalidRateError(`not a rate: ${String(value).slice(0, 40)} (expected a byte count per second, 0 for none)`)
  if (n > MAX_RATE) throw new InvalidRateError(`rate ${String(value).slice(0, 40)} is over the most allowed (1TiB)`)
  return Math.floor(n)
}

/** `2 MiB/s`, or `none` for 0. */
export function formatRate (bytesPerSecond: number): string {
  if (bytesPerSecond <= 0) return 'none'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = bytesPerSecond
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}/s`
}
