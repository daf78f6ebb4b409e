import type { Stream } from '@libp2p/interface'
import { KAD_PROTOCOL } from '../wire/constants.js'

export interface TrafficStats {
  /** Streams opened by peers (queries we answered) and by us (queries we asked). */
  streamsIn: number
  streamsOut: number
  /** Payload bytes on those streams (length-prefixed protobuf); multistream-select (~40 bytes
   * each way per stream), yamux and noise framing are not included. */
  bytesIn: number
  bytesOut: number
}

const NOOP = {
  update () {}, increment () {}, decrement () {}, reset () {}, observe () {}, timer: () => () => {}
}

/**
 * libp2p metrics that only count the streams of some protocols: libp2p hands every negotiated
 * stream, both directions, to trackProtocolStream. (Not stream middleware: libp2p 3.3.11's
 * inbound path pushes the protocol handler onto the array registered with `use()`, so after the
 * first inbound stream every outbound stream of that protocol runs the handler and hangs.)
 * Counting wraps `send` and the delivery of `message` events rather than adding a `message`
 * listener, which would take data before the protocol reads it.
 */
export class TrafficMetrics {
  private readonly counts = new Map<string, TrafficStats>()

  constructor (protocols: string[]) {
    for (const p of protocols) this.counts.set(p, { streamsIn: 0, streamsOut: 0, bytesIn: 0, bytesOut: 0 })
  }

  stats (protocol: string): TrafficStats {
    return { ...(this.counts.get(protocol) ?? { streamsIn: 0, streamsOut: 0, bytesIn: 0, bytesOut: 0 }) }
  }

  trackProtocolStream (stream: Stream): void {
    const counts = this.counts.get(stream.protocol ?? '')
    if (counts == null) return
    if (stream.direction === 'inbound') counts.streamsIn++
    else counts.streamsOut++
    const send = stream.send.bind(stream)
    stream.send = (data) => {
      counts.bytesOut += data.byteLength
      return send(data)
    }
    const dispatch = stream.dispatchEvent.bind(stream)
    stream.dispatchEvent = (event: Event) => {
      if (event.type === 'message') counts.bytesIn += (event as any).data?.byteLength ?? 0
      return dispatch(event)
    }
  }

  trackMultiaddrConnection (): void {}
  registerMetric = (() => NOOP) as any
  registerMetricGroup = (() => NOOP) as any
  registerCounter = (() => NOOP) as any
  registerCounterGroup = (() => NOOP) as any
  registerHistogram = (() => NOOP) as any
  registerHistogramGroup = (() => NOOP) as any
  registerSummary = (() => NOOP) as any
  registerSummaryGroup = (() => NOOP) as any
  traceFunction = ((_name: string, fn: any) => fn) as any
  createTrace (): any {
    return undefined
  }
}

/** What the DHT sent and received since start (service `dhtTraffic`). */
export class DhtTraffic {
  constructor (private readonly metrics: TrafficMetrics) {}

  stats (): TrafficStats {
    return this.metrics.stats(KAD_PROTOCOL)
  }
}
