import { REQUESTS_PER_STREAM, STREAMS_PER_PROVIDER } from './constants.js'

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

/**
 * Streams and requests in flight for a download from `providers` providers. The requests of
 * one provider at the configured streams x pipeline are what a download keeps in flight in
 * total (`totalInFlight`): more providers split them rather than multiply them, so the
 * downloader decrypts, buffers and hashes the same amount at once whatever the count (three
 * providers at 4 streams each kept 24 MiB in flight and cost a third more memory). How they
 * are split follows each provider's measured speed (requestShares): one provider may take all but
 * one request per other provider (`perPeerInFlight`), with the streams to carry them. Never
 * more streams than `chunks` (those left to fetch) can keep busy.
 */
export function streamPlan (providers: number, streams = STREAMS_PER_PROVIDER, pipeline = REQUESTS_PER_STREAM, chunks = Number.POSITIVE_INFINITY): { streams: number, perPeerInFlight: number, totalInFlight: number } {
  const depth = Math.max(1, pipeline)
  const n = Math.max(1, providers)
  const totalInFlight = Math.max(1, streams) * depth
  // every other provider keeps one request; never below one full stream
  const perPeerInFlight = Math.max(depth, totalInFlight - (n - 1))
  // a small file needs no more streams than its chunks fill: each costs a negotiation
  const useful = Math.ceil(Math.max(1, chunks) / depth)
  return { streams: Math.max(1, Math.min(streams, useful, Math.ceil(perPeerInFlight / depth))), perPeerInFlight, totalInFlight }
}
