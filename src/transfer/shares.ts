/**
 * How many of a download's requests in flight each provider gets: in proportion to how fast
 * it delivers (bytes per second per request, as the scheduler measures it), at least one each
 * so every provider keeps being measured, at most `max`. A provider not measured yet counts
 * as the average of those that are (all alike at the start). Pure: no clock, no I/O.
 *
 * Rates are per request, not per provider: a provider given fewer requests then answers each
 * sooner, so a provider held back by a small share is not measured as slow because of it.
 */
export function requestShares (rates: readonly number[], total: number, max: number): number[] {
  const n = rates.length
  if (n === 0) return []
  const hi = Math.max(1, max)
  if (!Number.isFinite(total)) return rates.map(() => hi)
  const measured = rates.filter(r => r > 0)
  const mean = measured.length === 0 ? 1 : measured.reduce((a, b) => a + b, 0) / measured.length
  const weights = rates.map(r => r > 0 ? r : mean)
  const sum = weights.reduce((a, b) => a + b, 0)
  const shares = weights.map(w => Math.min(hi, Math.max(1, Math.floor(total * w / sum))))
  // what flooring left goes, one at a time, to the provider furthest below its proportion
  for (let left = total - shares.reduce((a, b) => a + b, 0); left > 0; left--) {
    let best = -1
    for (let i = 0; i < n; i++) {
      if (shares[i] < hi && (best === -1 || weights[i] / (shares[i] + 1) > weights[best] / (shares[best] + 1))) best = i
    }
    if (best === -1) break
    shares[best]++
  }
  return shares
}
