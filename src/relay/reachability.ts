import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

export function isCircuit (ma: Multiaddr): boolean {
  return ma.getComponents().some(c => c.name === 'p2p-circuit')
}

/** A direct address others on the internet can dial: not relayed, not private, not loopback
 * or link-local. */
export function isPublicAddr (ma: Multiaddr): boolean {
  if (isCircuit(ma)) return false
  const ip = ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  if (ip == null) return false
  try {
    return isPrivate(ma) !== true
  } catch {
    return false
  }
}

/** Whether a node with these addresses is reachable from outside its LAN without a relay:
 * it has a public IPv4 address (on an interface, or mapped by UPnP). A public IPv6 address
 * alone does not count: IPv4-only peers could not reach it, and home routers firewall inbound
 * IPv6 by default. */
export function directlyReachable (addrs: Multiaddr[]): boolean {
  return addrs.some(a => isPublicAddr(a) && a.getComponents().some(c => c.name === 'ip4'))
}

/**
 * libp2p announces a public address only once something (AutoNAT) confirmed it, and AutoNAT
 * needs several peers to dial back, which a small network never has: a node with a public
 * address on its own interface would announce only its private ones. An address on our own
 * interface is no NAT's; it is announced as it is (a firewall may still drop it: direct dials
 * then fail and the relay is used).
 */
export function announcePublicInterfaces (host: { getMultiaddrs: () => Multiaddr[] }): () => void {
  const components = (host as any).components
  const confirm = (): void => {
    for (const a of components.transportManager.getAddrs() as Multiaddr[]) {
      if (isPublicAddr(a)) components.addressManager.confirmObservedAddr(a, { type: 'transport' })
    }
  }
  confirm()
  components.events.addEventListener('transport:listening', confirm)
  return () => components.events.removeEventListener('transport:listening', confirm)
}
