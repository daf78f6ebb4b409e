import { mdns } from '@libp2p/mdns'
import { logger } from '@libp2p/logger'
import type { PeerDiscovery, PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { MulticastDNSComponents } from '@libp2p/mdns'
import { dialQuietly } from './peer-memory.js'
import type { Dialer } from './peer-memory.js'
import {
  DISCOVERY_DIAL_CONCURRENCY, DISCOVERY_DIAL_TIMEOUT, DISCOVERY_REDIAL_BACKOFF, MDNS_INTERVAL, MDNS_SERVICE_TAG
} from './constants.js'

const log = logger('fsnode:host:discovery')

export interface LanDiscoveryInit {
  /** mDNS service name; fsnode's own unless a test isolates itself with another. */
  serviceTag?: string
  /** How often to query the LAN (ms). */
  interval?: number
  dialConcurrency?: number
  dialTimeout?: number
  redialBackoff?: number
}

export interface LanDialerComponents {
  peerId: PeerId
  connectionManager: Dialer
}

export interface LanDiscoveryServices {
  lanDialer: LanDialer
}

/**
 * mDNS on fsnode's service tag, and a dialer for what it finds: libp2p only records discovered
 * peers, and the DHT routing table fills from connections. Returns the two parts createHost
 * installs: `discovery` among peerDiscovery, `dialer` among services (for its start/stop).
 */
export function lanDiscovery (init: LanDiscoveryInit = {}): {
  discovery: (components: MulticastDNSComponents) => PeerDiscovery
  dialer: (components: LanDialerComponents) => LanDialer
} {
  let dialer: LanDialer | undefined
  return {
    discovery: (components) => {
      const found = mdns({ serviceTag: init.serviceTag ?? MDNS_SERVICE_TAG, interval: init.interval ?? MDNS_INTERVAL })(components)
      found.addEventListener('peer', (event) => { dialer?.found(event.detail) })
      return found
    },
    dialer: (components) => {
      dialer = new LanDialer(components, init)
      return dialer
    }
  }
}

/**
 * Dials peers found on the LAN: at most `dialConcurrency` at once (a find beyond that is
 * dropped; mDNS repeats every interval), never a peer already connected or being dialled, and a
 * peer that did not answer not again for `redialBackoff`.
 */
export class LanDialer implements Startable {
  private readonly dialing = new Set<string>()
  private readonly failedAt = new Map<string, number>()
  private readonly concurrency: number
  private readonly timeout: number
  private readonly backoff: number
  private shutdown = new AbortController()
  private running = false
  private dials = 0

  constructor (private readonly components: LanDialerComponents, init: LanDiscoveryInit = {}) {
    this.concurrency = init.dialConcurrency ?? DISCOVERY_DIAL_CONCURRENCY
    this.timeout = init.dialTimeout ?? DISCOVERY_DIAL_TIMEOUT
    this.backoff = init.redialBackoff ?? DISCOVERY_REDIAL_BACKOFF
  }

  start (): void {
    this.shutdown = new AbortController()
    this.running = true
  }

  stop (): void {
    this.running = false
    this.shutdown.abort()
  }

  /** Dials started since start (for tests and status). */
  get dialled (): number {
    return this.dials
  }

  found (peer: PeerInfo): void {
    const key = peer.id.toString()
    if (!this.running || peer.id.equals(this.components.peerId) || peer.multiaddrs.length === 0) return
    if (this.dialing.has(key) || this.dialing.size >= this.concurrency) return
    if (this.components.connectionManager.getConnections(peer.id).length > 0) return
    const failed = this.failedAt.get(key)
    if (failed != null && Date.now() - failed < this.backoff) return
    this.dialing.add(key)
    this.dials++
    const addrs = peer.multiaddrs.map(a => a.encapsulate(`/p2p/${key}`))
    void dialQuietly(this.components.connectionManager, addrs, this.timeout, this.shutdown.signal).then(ok => {
      this.dialing.delete(key)
      if (ok) {
        this.failedAt.delete(key)
        log('connected to LAN peer %s', key)
      } else {
        this.remember(key)
      }
    })
  }

  private remember (key: string): void {
    const now = Date.now()
    if (this.failedAt.size > 1000) {
      for (const [k, at] of this.failedAt) if (now - at >= this.backoff) this.failedAt.delete(k)
    }
    this.failedAt.set(key, now)
  }
}
