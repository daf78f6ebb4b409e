import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { Libp2pOptions } from 'libp2p'
import {
  DIAL_TIMEOUT, INBOUND_CONNECTION_THRESHOLD, MAX_CONNECTIONS, MAX_READ_BUFFER, MAX_STREAM_WINDOW,
  MAX_WRITE_BUFFER
} from './constants.js'

export interface HostInit<S extends ServiceMap = ServiceMap> {
  privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/4001 */
  listen: string[]
  /** Extra libp2p services (the DHT, mDNS, ...) added by the caller. */
  services?: Libp2pOptions<S>['services']
  /** Peer discovery modules (bootstrap, mDNS). */
  peerDiscovery?: Libp2pOptions['peerDiscovery']
  /** A pre-shared network key (pnet) that makes the network private. */
  connectionProtector?: Libp2pOptions['connectionProtector']
  datastore?: Libp2pOptions['datastore']
}

export type BaseServices = { identify: Identify, ping: Ping }
export type Host<S extends ServiceMap = ServiceMap> = Libp2p<BaseServices & S>

/**
 * A libp2p host with fsnode's transport stack: TCP, Noise, yamux, identify, ping. Nothing
 * fsnode-specific lives here; protocols register themselves on the returned node.
 */
export async function createHost<S extends ServiceMap = ServiceMap> (init: HostInit<S>): Promise<Host<S>> {
  for (const addr of init.listen) multiaddr(addr) // throws on a malformed listen address
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      maxStreamWindowSize: MAX_STREAM_WINDOW,
      streamOptions: {
        maxReadBufferLength: MAX_READ_BUFFER,
        maxWriteBufferLength: MAX_WRITE_BUFFER
      }
    } as any)],
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      dialTimeout: DIAL_TIMEOUT
    },
    connectionProtector: init.connectionProtector,
    peerDiscovery: init.peerDiscovery,
    datastore: init.datastore,
    services: {
      identify: identify(),
      ping: ping(),
      ...(init.services ?? {})
    } as any
  })
  return node as unknown as Host<S>
}
