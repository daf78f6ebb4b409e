import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { AsyncLocalStorage } from 'node:async_hooks'
import { logger } from '@libp2p/logger'
import type { CircuitRelayService, CircuitRelayServerComponents } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, PeerId, Stream } from '@libp2p/interface'
import { RelayThrottle } from './throttle.js'
import { BufferCap } from '../util/buffer-cap.js'
import type { ThrottleStats } from './throttle.js'
import { DEFAULT_RELAY_LIMITS, RELAY_MAX_CIRCUITS } from './constants.js'
import type { RelayLimits } from './constants.js'

const log = logger('fsnode:relay')

export interface RelayServerInit extends Partial<RelayLimits> {
  /** Peers that may reserve and be relayed; undefined: everyone who can connect (with a
   * network key, only its holders can). */
  allowPeers?: ReadonlySet<string>
}

export type FsRelayService = CircuitRelayService & { relayStats: () => ThrottleStats }

/**
 * The coordinator's circuit relay v2. Relayed connections carry no per-connection data or
 * time limit (libp2p's default of 128 KiB / 2 min cuts a transfer short and marks the
 * connection "limited", on which fsnode's protocols do not run); the relay is bounded instead
 * by the number of reservations and by bytes per second, per peer and in total.
 */
export function relayServer (init: RelayServerInit = {}): (components: CircuitRelayServerComponents) => FsRelayService {
  const limits = { ...DEFAULT_RELAY_LIMITS, ...init }
  return (components) => {
    const throttle = new RelayThrottle(limits.peerBytesPerSecond, limits.totalBytesPerSecond, new BufferCap())
    const gater = withAllowList(components.connectionGater, init.allowPeers)
    const service: any = circuitRelayServer({
      reservations: {
        maxReservations: limits.maxReservations,
        reservationTtl: limits.reservationTtlSeconds * 1000,
        applyDefaultLimit: false
      },
      maxInboundHopStreams: RELAY_MAX_CIRCUITS,
      maxOutboundStopStreams: RELAY_MAX_CIRCUITS
    })(new Proxy(components, { get: (t, k) => k === 'connectionGater' ? gater : (t as any)[k] }))
    // the circuit's two streams: the hop stream from the dialling peer (onHop), the stop stream
    // to the reserving peer (stopHop, called inside onHop: AsyncLocalStorage pairs them); each
    // is throttled as what its sender sends
    const hops = new AsyncLocalStorage<{ stream: Stream, peer: string }>()
    const onHop = service.onHop
    service.onHop = async (stream: Stream, connection: any) => {
      return await hops.run({ stream, peer: connection.remotePeer.toString() }, async () => await onHop(stream, connection))
    }
    const stopHop = service.stopHop.bind(service)
    service.stopHop = async (args: any, options: any) => {
      const stream: Stream | undefined = await stopHop(args, options)
      const hop = hops.getStore()
      if (stream != null && hop != null) {
        const dst = args.connection.remotePeer.toString()
        throttle.attach(hop.stream, hop.peer, stream)
        throttle.attach(stream, dst, hop.stream)
        oneReaderFromHere(hop.stream)
        log('circuit %s -> %s', hop.peer, dst)
      }
      return stream
    }
    service.relayStats = () => throttle.stats()
    return service as FsRelayService
  }
}

/** The node's gater plus the coordinator's allow-list for reservations and circuits. */
function withAllowList (inner: ConnectionGater, allow?: ReadonlySet<string>): ConnectionGater {
  if (allow == null) return inner
  const allowed = (p: PeerId): boolean => allow.has(p.toString())
  return new Proxy(inner, {
    get (target, key, receiver) {
      if (key === 'denyInboundRelayReservation') {
        return async (peer: PeerId) => {
          if (!allowed(peer)) { log('reservation refused to %p: not in allowPeers', peer); return true }
          return await target.denyInboundRelayReservation?.(peer) === true
        }
      }
      if (key === 'denyOutboundRelayedConnection') {
        return async (src: PeerId, dst: PeerId) => {
          if (!allowed(src) || !allowed(dst)) { log('circuit %p -> %p refused: not in allowPeers', src, dst); return true }
          return await target.denyOutboundRelayedConnection?.(src, dst) === true
        }
      }
      const v = Reflect.get(target, key, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
}

/**
 * @libp2p/circuit-relay-v2 joins a circuit's streams with `pipe(hop, stop, hop)`, which wraps
 * the hop stream in two duplexes and reads only the first one's source; the second one's
 * 'message' listener still queues every byte the hop stream receives, unread, until the
 * circuit closes. A relay held all it relayed from the dialling side: 270 MB live after a
 * 256 MiB get, 585 MB after two (bench/HISTORY.md, twelfth pass). From here on (the circuit is
 * made, the relay's own reads of the stream are over: fsnode sets no data limit, whose counter
 * would be a listener too) only the first 'message' listener added is registered.
 */
export function oneReaderFromHere (stream: Pick<Stream, 'addEventListener'>): void {
  const add = stream.addEventListener.bind(stream)
  let readers = 0
  stream.addEventListener = ((type: string, listener: any, options?: any) => {
    if (type === 'message' && ++readers > 1) return
    add(type as any, listener, options)
  }) as Stream['addEventListener']
}
