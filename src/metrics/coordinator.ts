import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { METRIC_PREFIX, QUERY_DURATION_BUCKETS } from './constants.js'

/** What the coordinator's gauges are read from when Prometheus scrapes. */
export interface CoordinatorSources {
  index: () => { providers: number, online: number, entries: number } | undefined
  peersConnected: () => number
}

/**
 * A coordinator's Prometheus metrics (`fsnode_index_*`): index entries and providers, peers,
 * and each index request served, counted and timed by type and result. A registry of its own.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry()
  private readonly queries: Counter<'type' | 'result'>
  private readonly latency: Histogram<'type'>

  constructor (sources: CoordinatorSources) {
    const registers = [this.registry]
    new Gauge({ name: `${METRIC_PREFIX}index_entries`, help: 'Entries (name, file, provider) in the index', registers, collect () { this.set(sources.index()?.entries ?? 0) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}index_providers`, help: 'Providers with entries in the index', registers, collect () { this.set(sources.index()?.providers ?? 0) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}index_providers_online`, help: 'Providers in the index that are connected', registers, collect () { this.set(sources.index()?.online ?? 0) } }) // eslint-disable-line no-new
    new Gauge({ name: `${METRIC_PREFIX}peers_connected`, help: 'Peers with an open connection', registers, collect () { this.set(sources.peersConnected()) } }) // eslint-disable-line no-new
    this.queries = new Counter({ name: `${METRIC_PREFIX}index_queries_total`, help: 'Index requests served, by type and result', labelNames: ['type', 'result'], registers })
    this.latency = new Histogram({ name: `${METRIC_PREFIX}index_query_duration_seconds`, help: 'Time to answer an index request, by type', labelNames: ['type'], buckets: QUERY_DURATION_BUCKETS, registers })
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX })
  }

  query (type: string, seconds: number, result: 'ok' | 'error'): void {
    this.queries.inc({ type, result })
    this.latency.observe({ type }, seconds)
  }

  async scrape (): Promise<{ body: string, contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
