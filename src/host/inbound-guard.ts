import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'

/** Inbound connections being upgraded (pnet, noise, yamux) at once, over all remote hosts.
 * libp2p refuses every connection past this; its default of 10 let ten silent TCP sockets
 * shut a node off for the whole upgrade timeout. */
export const MAX_PENDING_INBOUND = 64
/** Past half of MAX_PENDING_INBOUND, one remote host may hold at most this many of them. */
export const MAX_PENDING_PER_HOST = 8
/** An inbound connection must finish its upgrade within this long (libp2p's default: 10 s). */
export const INBOUND_UPGRADE_TIMEOUT = 5_000

export interface InboundGuardInit {
  maxPending?: number
  maxPendingPerHost?: number
}

/**
 * A connection gater that keeps one remote host from taking every upgrade slot: TCP sockets
 * that connect and never speak hold a slot until the upgrade timeout, and libp2p counts the
 * slots for all hosts together. While the node has room any host may use it (a burst of
 * peers behind one NAT, tests on 127.0.0.1); once half the slots are taken, a host that
 * already holds MAX_PENDING_PER_HOST is refused, so the others still get in.
 * Wraps `inner` (the caller's gater), which is asked first.
 */
export function inboundGuard (inner: ConnectionGater = {}, init: InboundGuardInit = {}): ConnectionGater {
  const maxPending = init.maxPending ?? MAX_PENDING_INBOUND
  const perHost = init.maxPendingPerHost ?? MAX_PENDING_PER_HOST
  const pending = new Map<MultiaddrConnection, string>()
  const byHost = new Map<string, number>()

  const release = (maConn: MultiaddrConnection): void => {
    const host = pending.get(maConn)
    if (host == null) return
    pending.delete(maConn)
    const n = (byHost.get(host) ?? 1) - 1
    if (n <= 0) byHost.delete(host)
    else byHost.set(host, n)
  }

  // the caller's methods, bound: a gater may be a class instance, whose methods a spread drops
  const delegated: Record<string, unknown> = {}
  for (const key of GATER_METHODS) {
    const fn = inner[key] as ((...args: any[]) => unknown) | undefined
    if (typeof fn === 'function') delegated[key] = fn.bind(inner)
  }
  return {
    ...delegated,
    denyInboundConnection: async (maConn) => {
      if (await inner.denyInboundConnection?.(maConn) === true) return true
      const host = hostOf(maConn)
      const held = byHost.get(host) ?? 0
      if (pending.size >= maxPending / 2 && held >= perHost) return true
      pending.set(maConn, host)
      byHost.set(host, held + 1)
      // a failed or timed-out upgrade aborts the connection
      maConn.addEventListener('close', () => { release(maConn) }, { once: true })
      return false
    },
    denyInboundUpgradedConnection: async (peerId: PeerId, maConn: MultiaddrConnection) => {
      release(maConn)
      return await inner.denyInboundUpgradedConnection?.(peerId, maConn) === true
    }
  }
}

export const GATER_METHODS: Array<keyof ConnectionGater> = [
  'denyDialPeer', 'denyDialMultiaddr', 'denyInboundConnection', 'denyOutboundConnection',
  'denyInboundEncryptedConnection', 'denyOutboundEncryptedConnection', 'denyInboundUpgradedConnection',
  'denyOutboundUpgradedConnection', 'denyInboundRelayReservation', 'denyOutboundRelayedConnection',
  'denyInboundRelayedConnection', 'filterMultiaddrForPeer'
]

/** Which remote host a connection counts against: its IP, or for a relayed connection the
 * relayed peer (all of them come from the relay's IP, so counting by IP would let one NATed
 * peer's connections use up every other's share). */
export function hostOf (maConn: Pick<MultiaddrConnection, 'remoteAddr'>): string {
  const parts = maConn.remoteAddr.getComponents()
  const circuit = parts.findIndex(c => c.name === 'p2p-circuit')
  if (circuit >= 0) {
    const peer = parts.slice(circuit).find(c => c.name === 'p2p')
    return `relayed:${peer?.value ?? maConn.remoteAddr.toString()}`
  }
  const ip = parts.find(c => c.name === 'ip4' || c.name === 'ip6')
  return ip?.value ?? maConn.remoteAddr.toString()
}
