import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import type { KadDHT, KadDHTComponents, KadDHTInit } from '@libp2p/kad-dht'
import type { PeerId, Startable } from '@libp2p/interface'
import { KAD_PROTOCOL } from '../wire/constants.js'
import { JOIN_IDLE_LOOKUPS, KAD_PING_TIMEOUT, JOIN_LOOKUP_DELAY, JOIN_LOOKUP_GAP, JOIN_LOOKUP_TIMEOUT, KAD_K, PROVIDE_VALIDITY, REPROVIDE_INTERVAL, REPROVIDE_THRESHOLD } from './constants.js'

const log = logger('fsnode:host:dht')
import { TrafficMetrics, DhtTraffic } from './dht-traffic.js'
import { ProviderStore } from './provider-store.js'
import type { ProviderStoreLimits } from './provider-store.js'
import { KadGuard } from './kad-guard.js'
import type { KadGuardInit } from './kad-guard.js'

export { ProviderRecords, providerRecords } from './provider-records.js'
export { ProvideUpkeep } from './provide-upkeep.js'
export { TrafficMetrics, DhtTraffic } from './dht-traffic.js'
export { ProviderStore, DhtDatastore } from './provider-store.js'
export type { ProviderStoreLimits } from './provider-store.js'
export { KadGuard } from './kad-guard.js'
export type { KadGuardInit } from './kad-guard.js'

export interface DhtInit {
  /** Only ask, never answer: for a short-lived node with no listen address. Default false
   * (server): unset, kad-dht stays a client until it sees a public address, which a LAN never has. */
  clientMode?: boolean
  /** Provider record timing (ms); defaults from constants.ts. */
  reprovide?: KadDHTInit['reprovide']
  /** Bounds on the provider records kept for other peers (defaults in constants.ts; validity
   * defaults to reprovide.validity). */
  providerStore?: ProviderStoreLimits
  /** Per-peer bound on the DHT messages handled (defaults in constants.ts; see kad-guard.ts). */
  guard?: KadGuardInit
  /** Other kad-dht settings (tests: kBucketSize, query intervals...). */
  kad?: Omit<KadDHTInit, 'protocol' | 'peerInfoMapper' | 'clientMode' | 'reprovide'>
}

/** What createHost adds as services when the DHT is on. */
export interface DhtServices {
  dht: KadDHT
  dhtTraffic: DhtTraffic
  dhtJoin: DhtJoin
  /** The provider records this node keeps (bounded; see provider-store.ts). */
  dhtProviders: ProviderStore
  /** The per-peer message bound in front of the DHT (see kad-guard.ts). */
  dhtGuard: KadGuard
}

/**
 * The kad-dht on fsnode's own protocol, in server mode, keeping every address (LAN and loopback
 * included: the default mapper drops private addresses); a counter of its traffic (install
 * `metrics` as libp2p's metrics); the join helper. Needs identify and ping among the services
 * (createHost has both). `providers` must hold the DHT's provider records: createHost makes
 * it part of the node's datastore (DhtDatastore).
 */
export function dhtServices (self: PeerId, init: DhtInit = {}): {
  metrics: TrafficMetrics
  providers: ProviderStore
  /** Its connection gater must be part of the node's (it refuses peers cut off for flooding). */
  guard: KadGuard
  services: {
    dht: (c: KadDHTComponents) => KadDHT
    dhtTraffic: () => DhtTraffic
    dhtJoin: (c: { peerId: PeerId }) => DhtJoin
    dhtProviders: () => ProviderStore
    dhtGuard: () => KadGuard
  }
} {
  const metrics = new TrafficMetrics([KAD_PROTOCOL])
  const providers = new ProviderStore({
    self: self.toString(),
    validity: init.reprovide?.validity ?? PROVIDE_VALIDITY,
    ...init.providerStore
  })
  const guard = new KadGuard(init.guard)
  let dht: KadDHT | undefined
  const create = kadDHT({
    // every kad-dht query waits for its first self-lookup, which has no timeout and, in a
    // network of fewer than k nodes, walks every node: a short-lived client (`fsnode get`
    // without a daemon) on a loaded machine spent its whole lookup budget there. It needs no
    // self-lookup (the provider walk fills its table): its queries start at once, and
    // ProviderRecords waits for the first routing table peer instead of kad-dht
    initialQuerySelfInterval: init.clientMode === true ? 0 : undefined,
    allowQueryWithZeroPeers: init.clientMode === true ? true : undefined,
    ...init.kad,
    protocol: KAD_PROTOCOL,
    clientMode: init.clientMode ?? false,
    peerInfoMapper: passthroughMapper,
    // kad-dht pings a connected peer before it enters the routing table, and an old contact
    // before a new one may replace it, within 5 s at first: on a CPU-starved machine healthy
    // peers missed it and routing tables stayed short (3 of 18 connected peers)
    pingNewContactTimeout: { minTimeout: KAD_PING_TIMEOUT },
    pingOldContactTimeout: { minTimeout: KAD_PING_TIMEOUT },
    reprovide: {
      validity: PROVIDE_VALIDITY,
      threshold: REPROVIDE_THRESHOLD,
      interval: REPROVIDE_INTERVAL,
      ...init.reprovide
    }
  })
  return {
    metrics,
    providers,
    guard,
    services: {
      // kad-dht registers its handler through this registrar: every inbound stream passes the guard
      dht: (components) => { dht = create(withRegistrar(components, guard.registrar(components.registrar, KAD_PROTOCOL))); return dht },
      dhtTraffic: () => new DhtTraffic(metrics),
      dhtJoin: (components) => new DhtJoin(() => dht, components.peerId, init.kad?.kBucketSize ?? KAD_K),
      dhtProviders: () => providers,
      dhtGuard: () => guard
    }
  }
}

/** libp2p's components with another registrar (they are a proxy: a spread would lose them). */
function withRegistrar (components: KadDHTComponents, registrar: KadDHTComponents['registrar']): KadDHTComponents {
  return new Proxy(components, {
    get: (target, prop) => prop === 'registrar' ? registrar : Reflect.get(target, prop, target)
  })
}

/**
 * kad-dht looks itself up once, a second after start, then every 5 minutes: a node that joined
 * when its bootstrap peer knew nobody yet (nodes starting together, a coordinator just up), or
 * whose first lookup's dials failed, stays with a routing table of one for minutes. While the
 * table holds fewer than k peers this runs more self-lookups: one JOIN_LOOKUP_DELAY after a new
 * peer, then again after JOIN_LOOKUP_GAP, doubling while the table does not grow, JOIN_IDLE_LOOKUPS
 * times at most; a new peer starts it over. With a full table it costs nothing.
 */
export class DhtJoin implements Startable {
  private timer?: ReturnType<typeof setTimeout>
  private running = false
  private idle = 0
  private shutdown = new AbortController()
  private lookups = 0

  constructor (private readonly getDht: () => KadDHT | undefined, private readonly self: PeerId, private readonly k: number) {}

  start (): void {
    this.shutdown = new AbortController()
  }

  afterStart (): void {
    this.table()?.addEventListener('peer:add', this.onPeer)
  }

  stop (): void {
    this.table()?.removeEventListener('peer:add', this.onPeer)
    clearTimeout(this.timer)
    this.timer = undefined
    this.shutdown.abort()
  }

  /** Self-lookups run since start. */
  get count (): number {
    return this.lookups
  }

  private table (): (EventTarget & { size: number }) | undefined {
    return (this.getDht() as any)?.routingTable
  }

  private readonly onPeer = (): void => {
    this.idle = 0
    if (this.timer == null && !this.running) this.schedule(JOIN_LOOKUP_DELAY)
  }

  private schedule (delay: number): void {
    if (this.shutdown.signal.aborted || (this.table()?.size ?? 0) >= this.k) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.lookup()
    }, delay)
    this.timer.unref?.()
  }

  private async lookup (): Promise<void> {
    const dht = this.getDht()
    if (dht == null || this.shutdown.signal.aborted) return
    this.running = true
    this.lookups++
    const before = this.table()?.size ?? 0
    try {
      const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(JOIN_LOOKUP_TIMEOUT)])
      for await (const event of dht.getClosestPeers(this.self.toMultihash().bytes, { signal })) void event
    } catch (err: any) {
      log('self-lookup ended: %s', err.message)
    } finally {
      this.running = false
    }
    if ((this.table()?.size ?? 0) <= before) this.idle++
    if (this.idle < JOIN_IDLE_LOOKUPS) this.schedule(JOIN_LOOKUP_GAP * 2 ** this.idle)
  }
}
