import { libp2pMetrics } from '../metrics/libp2p.js'
import type { Registry } from 'prom-client'
import { join } from 'node:path'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { noiseCrypto } from './noise-crypto.js'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { bootstrap as bootstrapDiscovery } from '@libp2p/bootstrap'
import { multiaddr } from '@multiformats/multiaddr'
import { isLoopback } from '@libp2p/utils'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { relayServer } from '../relay/server.js'
import { announcePublicInterfaces } from '../relay/reachability.js'
import type { RelayServerInit } from '../relay/server.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core/memory'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { Libp2pOptions } from 'libp2p'
import {
  DIAL_TIMEOUT, INBOUND_CONNECTION_THRESHOLD, MAX_CONNECTIONS, MAX_READ_BUFFER, MAX_STREAM_WINDOW,
  MAX_WRITE_BUFFER, PEERS_FILE, RESERVATION_TIMEOUT, PING_MAX_INBOUND_STREAMS, PING_MAX_OUTBOUND_STREAMS
} from './constants.js'
import { DhtDatastore, dhtServices } from './dht.js'
import { INBOUND_UPGRADE_TIMEOUT, MAX_PENDING_INBOUND, inboundGuard } from './inbound-guard.js'
import { lanDiscovery } from './discovery.js'
import { expectedPeerGate } from './peer-check.js'
import { parseBootstrap, peerMemory } from './peer-memory.js'
import { lazyUPnPNAT } from './upnp.js'
import type { DhtInit, DhtServices, TrafficMetrics } from './dht.js'
import type { LanDiscoveryInit, LanDiscoveryServices } from './discovery.js'
import type { PeerMemoryServices } from './peer-memory.js'

export interface HostInit<S extends ServiceMap = ServiceMap> {
  privateKey: PrivateKey
  /** Put libp2p's own metrics (`libp2p_*`) in this Prometheus registry. Default: none. */
  metricsRegistry?: Registry
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/4001 */
  listen: string[]
  /** Extra libp2p services (the DHT, mDNS, ...) added by the caller. */
  services?: Libp2pOptions<S>['services']
  /** Peer discovery modules (bootstrap, mDNS). */
  peerDiscovery?: Libp2pOptions['peerDiscovery']
  /** A pre-shared network key (pnet) that makes the network private. */
  connectionProtector?: Libp2pOptions['connectionProtector']
  datastore?: Libp2pOptions['datastore']
  /** Decides which peers may connect (tests: keep two nodes from ever talking). */
  connectionGater?: Libp2pOptions['connectionGater']
  /** Run the kad-dht on /fileshare/kad/1.0.0, server mode unless `{ clientMode: true }`
   * (services `dht`, `dhtTraffic`, `dhtJoin`, `dhtProviders`; see dht.ts). Default off. */
  dht?: boolean | DhtInit
  /** Find nodes on the LAN by mDNS and dial them (service `lanDialer`). Default off. */
  mdns?: boolean | LanDiscoveryInit
  /** Peers to join through, each ending in /p2p/<peer id> (the coordinator, peers from config):
   * dialled at start and again while the node has no connection. */
  bootstrap?: string[]
  /** Remember peers in `<dataDir>/peers.json` and dial them again on start (service
   * `peerMemory`). Default: nothing remembered. */
  dataDir?: string
  /** Run the circuit relay v2 server (the coordinator; service `relay`). Default off. */
  relayServer?: RelayServerInit
  /** Dial and accept relayed connections (circuit relay transport) and upgrade them to direct
   * ones where one side is public (DCUtR, service `dcutr`). Default off. */
  relayClient?: boolean
  /** Ask the home router for a port mapping by UPnP (service `upnp`). Default off. */
  upnp?: boolean
}

/** The services createHost may add; which are there depends on its options. */
export type NetworkServices = Partial<DhtServices & LanDiscoveryServices & PeerMemoryServices>

export type BaseServices = { identify: Identify, ping: Ping }
export type Host<S extends ServiceMap = ServiceMap> = Libp2p<BaseServices & S>

/**
 * A libp2p host with fsnode's transport stack: TCP, Noise, yamux, identify, ping; optionally
 * the DHT, mDNS, bootstrap peers and peer memory. fsnode's own protocols register themselves
 * on the returned node.
 */
export async function createHost<S extends ServiceMap = ServiceMap> (init: HostInit<S>): Promise<Host<S>> {
  for (const addr of init.listen) multiaddr(addr) // throws on a malformed listen address
  const bootstrap = init.bootstrap ?? []
  parseBootstrap(bootstrap) // a BootstrapAddressError rather than @libp2p/bootstrap's silent drop
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping({ maxOutboundStreams: PING_MAX_OUTBOUND_STREAMS, maxInboundStreams: PING_MAX_INBOUND_STREAMS })
  }
  const peerDiscovery = [...(init.peerDiscovery ?? [])]
  let metrics: TrafficMetrics | undefined
  let datastore = init.datastore
  let gater = expectedPeerGate(init.connectionGater)
  if (init.dht != null && init.dht !== false) {
    const dht = dhtServices(peerIdFromPrivateKey(init.privateKey), init.dht === true ? {} : init.dht)
    Object.assign(services, dht.services)
    metrics = dht.metrics
    gater = dht.guard.gater(gater)
    // kad-dht keeps provider records in the datastore, unbounded: they go to a bounded store
    datastore = new DhtDatastore(dht.providers, init.datastore ?? new MemoryDatastore())
  }
  if (init.mdns != null && init.mdns !== false) {
    const lan = lanDiscovery(init.mdns === true ? {} : init.mdns)
    peerDiscovery.push(lan.discovery as any)
    services.lanDialer = lan.dialer
  }
  if (bootstrap.length > 0) peerDiscovery.push(bootstrapDiscovery({ list: bootstrap }))
  if (init.dataDir != null || bootstrap.length > 0) {
    services.peerMemory = peerMemory({ file: init.dataDir == null ? undefined : join(init.dataDir, PEERS_FILE), bootstrap })
  }
  const transports: any[] = [tcp()]
  if (init.relayServer != null) services.relay = relayServer(init.relayServer)
  if (init.relayClient === true) {
    transports.push(circuitRelayTransport({ reservationCompletionTimeout: RESERVATION_TIMEOUT }))
    services.dcutr = dcutr()
  }
  // a mapping the router made is taken as reachable: AutoNAT, which would otherwise have to
  // confirm it, needs more peers to dial back than a small network has; loaded after the start.
  // Not for a node listening on loopback only: no router can map a port to it.
  if (init.upnp === true && init.listen.some(a => !isLoopback(multiaddr(a)))) {
    services.upnp = lazyUPnPNAT({ autoConfirmAddress: true })
  }
  Object.assign(services, init.services)
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports,
    // the same bytes on the wire as noise's default, with the session key imported once
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    // yamux 8 reads the window from streamOptions only (at the top level it is ignored and
    // the 16 MiB default would let a paused stream overflow its read buffer and be reset)
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: MAX_STREAM_WINDOW,
        maxReadBufferLength: MAX_READ_BUFFER,
        maxWriteBufferLength: MAX_WRITE_BUFFER
      }
    } as any)],
    // a ping that times out on a CPU-starved machine must not cut a connection in the middle of
    // a transfer: dead peers are caught by TCP keepalive, the socket inactivity timeout and the
    // per-request timeouts of fsnode's protocols
    connectionMonitor: { abortConnectionOnPingFailure: false },
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      dialTimeout: DIAL_TIMEOUT,
      // libp2p also cuts each address's attempt at 6 s, whatever the dial's own deadline: a
      // provider busy with a burst of handshakes (or a slow link) lost its dials at 6 s
      addressDialTimeout: DIAL_TIMEOUT,
      maxIncomingPendingConnections: MAX_PENDING_INBOUND,
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT
    },
    connectionProtector: init.connectionProtector,
    // silent sockets from one host must not take every upgrade slot (see inbound-guard.ts);
    // an outbound connection must reach the peer its address names (see peer-check.ts)
    // and a peer cut off for flooding the DHT stays out (see kad-guard.ts)
    connectionGater: inboundGuard(gater),
    metrics: init.metricsRegistry != null
      ? libp2pMetrics(init.metricsRegistry, metrics as any)
      : metrics == null ? undefined : () => metrics as any,
    peerDiscovery,
    datastore,
    services: services as any
  }).catch((err: any) => { throw listenError(err) })
  announcePublicInterfaces(node)
  return node as unknown as Host<S>
}

/** A listen address that cannot be used: which one, why, and what to do. */
export class ListenAddressError extends Error {
  static readonly code = 'ListenAddressError'
  override name = 'ListenAddressError'
  exitCode = 2
}

/**
 * libp2p's UnsupportedListenAddressesError, a paragraph about its own options followed by
 * `  <addr>: <error>` lines, made into one line a user can act on.
 */
function listenError (err: any): Error {
  if (err?.name !== 'UnsupportedListenAddressesError') return err
  const failures = [...String(err.message).matchAll(/^\s+(\/\S+): (.*)$/gm)].map(m => ({ addr: m[1], why: m[2] }))
  if (failures.length === 0) return err
  const inUse = failures.find(f => /EADDRINUSE/.test(f.why))
  if (inUse != null) {
    return new ListenAddressError(`cannot listen on ${inUse.addr}: the port is already in use (another fsnode node or coordinator started with the same config?); stop that one, or give this one a free port with --listen or the listen setting in config.json (port 0 picks any free port)`)
  }
  const f = failures[0]
  const hint = /EACCES/.test(f.why) ? ' (ports below 1024 need privileges: use a higher one)' : /EADDRNOTAVAIL/.test(f.why) ? ' (no network interface has that IP address)' : ''
  return new ListenAddressError(`cannot listen on ${f.addr}: ${f.why}${hint}; change --listen or the listen setting in config.json`)
}
