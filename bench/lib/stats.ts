/** Small statistics over samples; every function ignores nothing and copies before sorting. */

function sorted (values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}

/** The p-th percentile (0..100), linear interpolation between closest ranks. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const s = sorted(values)
  const rank = (p / 100) * (s.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return s[lo] + (s[hi] - s[lo]) * (rank - lo)
}

export function median (values: readonly number[]): number {
  return percentile(values, 50)
}

export function min (values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values)
}

export function max (values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values)
}

export interface Summary {
  median: number
  min: number
  max: number
}

export function summarize (values: readonly number[]): Summary {
  return { median: median(values), min: min(values), max: max(values) }
}
