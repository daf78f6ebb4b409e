import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import type { KadDHT, KadDHTComponents, KadDHTInit } from '@libp2p/kad-dht'
import type { PeerId, Startable } from '@libp2p/interface'
import { KAD_PROTOCOL } from '../wire/constants.js'
import { JOIN_IDLE_LOOKUPS, JOIN_LOOKUP_DELAY, JOIN_LOOKUP_GAP, JOIN_LOOKUP_TIMEOUT, KAD_K, PROVIDE_VALIDITY, REPROVIDE_INTERVAL, REPROVIDE_THRESHOLD } from './constants.js'

const log = logger('fsnode:host:dht')
import { TrafficMetrics, DhtTraffic } from './dht-traffic.js'
import { ProviderStore } from './provider-store.js'
import type { ProviderStoreLimits } from './provider-store.js'

export { ProvideError, DhtDisabledError, ProviderRecords, providerRecords } from './provider-records.js'
export type { ProviderDht, DhtProvider, ProvideResult, FindProvidersOptions, ProviderRecordStats } from './provider-records.js'
export { ProvideUpkeep } from './provide-upkeep.js'
export type { FileIdSource, ProvideUpkeepInit, ProvideUpkeepStats } from './provide-upkeep.js'
export { TrafficMetrics, DhtTraffic } from './dht-traffic.js'
export type { TrafficStats } from './dht-traffic.js'
export { ProviderStore, DhtDatastore } from './provider-store.js'
export type { ProviderStoreLimits, ProviderStoreStats } from './provider-store.js'


export interface DhtInit {
  /** Only ask, never answer: for a short-lived node with no listen address. Default false
   * (server): unset, kad-dht stays a client until it sees a public address, which a LAN never has. */
  clientMode?: boolean
  /** Provider record timing (ms); defaults from constants.ts. */
  reprovide?: KadDHTInit['reprovide']
  /** Bounds on the provider records kept for other peers (defaults in constants.ts; validity
   * defaults to reprovide.validity). */
  providerStore?: ProviderStoreLimits
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
  services: {
    dht: (c: KadDHTComponents) => KadDHT
    dhtTraffic: () => DhtTraffic
    dhtJoin: (c: { peerId: PeerId }) => DhtJoin
    dhtProviders: () => ProviderStore
  }
} {
  const metrics = new TrafficMetrics([KAD_PROTOCOL])
  const providers = new ProviderStore({
    self: self.toString(),
    validity: init.reprovide?.validity ?? PROVIDE_VALIDITY,
    ...init.providerStore
  })
  let dht: KadDHT | undefined
  const create = kadDHT({
    // every query waits for the first self-lookup, which kad-dht starts 1 s after start: a
    // short-lived client (`fsnode get` without a daemon) starts it at once
    initialQuerySelfInterval: init.clientMode === true ? 0 : undefined,
    ...init.kad,
    protocol: KAD_PROTOCOL,
    clientMode: init.clientMode ?? false,
    peerInfoMapper: passthroughMapper,
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
    services: {
      dht: (components) => { dht = create(components); return dht },
      dhtTraffic: () => new DhtTraffic(metrics),
      dhtJoin: (components) => new DhtJoin(() => dht, components.peerId, init.kad?.kBucketSize ?? KAD_K),
      dhtProviders: () => providers
    }
  }
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
