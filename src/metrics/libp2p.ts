import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Metrics } from '@libp2p/interface'
import type { Registry } from 'prom-client'

/** What else must see every negotiated protocol stream (the DHT's traffic counter). */
type StreamTracker = Pick<Metrics, 'trackProtocolStream'>

/**
 * libp2p's own metrics (`libp2p_*`: connections by direction, streams per protocol, bytes per
 * protocol, dials and their errors, TCP listener events) from @libp2p/prometheus-metrics, in
 * `registry`: the node's, so GET /metrics shows them next to `fsnode_*`. Process metrics stay
 * fsnode's (withProcessMetrics). libp2p takes one metrics implementation: `also` is given every
 * protocol stream too.
 */
export function libp2pMetrics (registry: Registry, also?: StreamTracker): (components: any) => Metrics {
  // the library keeps metrics by name in a module-wide map and, unless told to preserve it,
  // clears that map (and prom-client's global registry, which fsnode does not use) when an
  // instance is made: the newest node in a process gets its own
  const factory = prometheusMetrics({ registry, collectDefaultMetrics: false })
  return components => {
    const metrics = factory(components)
    if (also != null) {
      const track = metrics.trackProtocolStream.bind(metrics)
      metrics.trackProtocolStream = (stream) => {
        also.trackProtocolStream(stream)
        track(stream)
      }
    }
    return metrics
  }
}
