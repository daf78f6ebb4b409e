import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { DOWNLOAD_DURATION_BUCKETS, METRIC_PREFIX } from './constants.js'
import type { RateLimiter } from '../bandwidth/token-bucket.js'

/** What the node's gauges are read from when Prometheus scrapes. */
export interface MetricSources {
  downloadsActive: () => number
  share: () => { files: number, bytes: number } | undefined
  peersConnected: () => number
}

/**
 * The node's Prometheus metrics, all named `fsnode_*`, in a registry of its own (not prom-client's
 * global one), so several nodes in one process do not mix. Counters are moved by the transfer
 * code; gauges are read from `sources` at scrape time.
 */
export class NodeMetrics {
  readonly registry: Registry
  private readonly bytesSent: Counter<'protocol'>
  private readonly bytesReceived: Counter<'protocol'>
  private readonly chunksVerified: Counter
  private readonly chunksRejected: Counter<'reason'>
  private readonly downloadSeconds: Histogram<'result'>
  private readonly relayedBytes: Counter<'direction'>
  private processMetrics = false

  /** `registry`: one libp2p's metrics already go to (createHost's metricsRegistry). */
  constructor (sources: MetricSources, registry = new Registry()) {
    this.registry = registry
    const registers = [this.registry]
    this.bytesSent = new Counter({ name: `${METRIC_PREFIX}bytes_sent_total`, help: 'Bytes sent to peers, by protocol', labelNames: ['protocol'], registers })
    this.bytesReceived = new Counter({ name: `${METRIC_PREFIX}bytes_received_total`, help: 'Bytes received from peers, by protocol', labelNames: ['protocol'], registers })
    this.chunksVerified = new Counter({ name: `${METRIC_PREFIX}chunks_verified_total`, help: 'Downloaded chunks whose hash matched the manifest', registers })
    this.chunksRejected = new Counter({ name: `${METRIC_PREFIX}chunks_rejected_total`, help: 'Chunk requests that failed, by reason (bad-data: wrong bytes)', labelNames: ['reason'], registers })
    this.relayedBytes = new Counter({ name: `${METRIC_PREFIX}relayed_bytes_total`, help: 'Chunk bytes that went through a relay (a coordinator), sent or received', labelNames: ['direction'], registers })
    this.downloadSeconds = new Histogram({ name: `${METRIC_PREFIX}download_duration_seconds`, help: 'Time a file download took, by result', labelNames: ['result'], buckets: DOWNLOAD_DURATION_BUCKETS, registers })
    new Gauge({ name: `${METRIC_PREFIX}downloads_active`, help: 'File downloads under way', registers, collect () { this.set(sources.downloadsActive()) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}shared_files`, help: 'Files this node shares', registers, collect () { this.set(sources.share()?.files ?? 0) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}shared_bytes`, help: 'Bytes of the files this node shares', registers, collect () { this.set(sources.share()?.bytes ?? 0) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}peers_connected`, help: 'Peers with an open connection', registers, collect () { this.set(sources.peersConnected()) } }) // eslint-disable-line no-new
  }

  /** Add the process's own metrics (CPU, memory, event loop): only for a node that serves them,
   * as they watch GC and the event loop for the life of the process. */
  withProcessMetrics (): this {
    if (!this.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX })
    this.processMetrics = true
    return this
  }

  /** `relayed`: the bytes went through a relay (counted in bytes_sent too). */
  sent (protocol: string, bytes: number, relayed = false): void {
    this.bytesSent.inc({ protocol }, bytes)
    if (relayed) this.relayedBytes.inc({ direction: 'sent' }, bytes)
  }

  received (protocol: string, bytes: number, relayed = false): void {
    this.bytesReceived.inc({ protocol }, bytes)
    if (relayed) this.relayedBytes.inc({ direction: 'received' }, bytes)
  }

  chunkVerified (): void {
    this.chunksVerified.inc()
  }

  chunkRejected (reason: string): void {
    this.chunksRejected.inc({ reason })
  }

  downloadDone (seconds: number, result: 'ok' | 'failed'): void {
    this.downloadSeconds.observe({ result }, seconds)
  }

  /** The text exposition format, and its content type. */
  async scrape (): Promise<{ body: string, contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}

/**
 * A limiter (or none) that also counts the bytes it lets through: the chunk server and the
 * fetcher already call take() on every piece of chunk bytes they move, so that is where bytes
 * sent and received are metered.
 */
export function metered (limiter: RateLimiter | undefined, count: (bytes: number) => void): RateLimiter {
  return {
    async take (bytes, signal) {
      count(bytes)
      await limiter?.take(bytes, signal)
    },
    pieceBytes (max) {
      return limiter?.pieceBytes(max) ?? max
    }
  }
}
