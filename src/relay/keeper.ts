import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { directlyReachable, isCircuit, isPublicAddr } from './reachability.js'
import { RESERVE_CHECK_INTERVAL, RESERVE_RETRY_MAX, RESERVE_RETRY_MIN } from './constants.js'

const log = logger('fsnode:relay:keeper')

export interface RelayState {
  /** The coordinator's address as configured. */
  relay: string
  reserved: boolean
  /** Our relayed addresses through it (what the node announces). */
  addrs: string[]
  /** When the reservation ends unless renewed (ms since epoch). */
  expires?: number
  /** Why the last attempt failed, e.g. the relay refused. */
  error?: string
}

interface Slot {
  addr: Multiaddr
  peer: PeerId
  addrs: Multiaddr[]
  expires?: number
  error?: string
  busy: boolean
  nextTry: number
  backoff: number
}

/**
 * Keeps a relay reservation on each coordinator while the node is not directly reachable:
 * reserves as soon as a connection to the coordinator is up (so again after a coordinator
 * restart), lets the circuit relay transport renew it before it expires, and announces the
 * relayed addresses (`<coordinator>/p2p-circuit`) next to the direct ones.
 */
export class RelayKeeper {
  private readonly slots: Slot[]
  private timer?: ReturnType<typeof setInterval>
  private readonly store: any

  constructor (private readonly host: Libp2p, coordinators: string[], private readonly enabled = true) {
    this.slots = coordinators.map(c => {
      const addr = multiaddr(c)
      return { addr, peer: peerIdFromString(addr.getComponents().findLast(x => x.name === 'p2p')?.value ?? ''), addrs: [], busy: false, nextTry: 0, backoff: RESERVE_RETRY_MIN }
    })
    const transport = components(host).transportManager.getTransports()
      .find((t: any) => t[Symbol.toStringTag] === '@libp2p/circuit-relay-v2-transport')
    this.store = transport?.reservationStore
  }

  start (): void {
    if (this.store == null || this.slots.length === 0 || !this.enabled) return
    this.host.addEventListener('peer:identify', this.onIdentify)
    this.store.addEventListener('relay:removed', this.onRemoved)
    this.store.addEventListener('relay:created-reservation', this.onCreated)
    this.timer = setInterval(() => { this.check() }, RESERVE_CHECK_INTERVAL)
    this.timer.unref?.()
    this.check()
  }

  stop (): void {
    if (this.timer == null) return
    clearInterval(this.timer)
    this.timer = undefined
    this.host.removeEventListener('peer:identify', this.onIdentify)
    this.store.removeEventListener('relay:removed', this.onRemoved)
    this.store.removeEventListener('relay:created-reservation', this.onCreated)
  }

  /** Whether the node needs a relay: no public IPv4 address of its own. */
  needsRelay (): boolean {
    return !directlyReachable(this.host.getMultiaddrs().filter(a => !isCircuit(a)))
  }

  state (): RelayState[] {
    return this.slots.map(s => ({
      relay: s.addr.toString(),
      reserved: this.store?.hasReservation(s.peer) === true,
      addrs: s.addrs.map(a => a.toString()),
      expires: s.expires,
      error: s.error
    }))
  }

  private readonly onIdentify = (evt: any): void => {
    const slot = this.slots.find(s => s.peer.equals(evt.detail.peerId))
    if (slot == null) return
    slot.nextTry = 0 // a new connection: try at once, whatever the backoff
    this.check()
  }

  private readonly onCreated = (evt: any): void => {
    const slot = this.slots.find(s => s.peer.equals(evt.detail.relay))
    if (slot != null) this.apply(slot, evt.detail.details.reservation)
  }

  private readonly onRemoved = (evt: any): void => {
    const slot = this.slots.find(s => s.peer.equals(evt.detail.relay))
    if (slot == null) return
    log('reservation on %p ended', slot.peer)
    this.withdraw(slot, [])
    slot.expires = undefined
  }

  private check (): void {
    if (!this.needsRelay()) return
    const now = Date.now()
    for (const slot of this.slots) {
      if (slot.busy || now < slot.nextTry || this.store.hasReservation(slot.peer) === true) continue
      // reserve only over a direct connection we already have: the reservation store puts a
      // relay it failed to dial on a list it never tries again
      const direct = this.host.getConnections(slot.peer).some(c => c.status === 'open' && !isCircuit(c.remoteAddr))
      if (!direct) continue
      void this.reserve(slot)
    }
  }

  private async reserve (slot: Slot): Promise<void> {
    slot.busy = true
    try {
      const result = await this.store.addRelay(slot.peer, 'configured')
      this.apply(slot, result.details.reservation)
      slot.error = undefined
      slot.backoff = RESERVE_RETRY_MIN
      log('reserved a relay slot on %p until %s', slot.peer, new Date(slot.expires ?? 0).toISOString())
    } catch (err: any) {
      slot.error = `no relay slot on ${slot.addr.toString()}: ${explain(err)}`
      slot.nextTry = Date.now() + slot.backoff
      slot.backoff = Math.min(slot.backoff * 2, RESERVE_RETRY_MAX)
      log('%s', slot.error)
    } finally {
      slot.busy = false
    }
  }

  /** Announce `<coordinator as configured>/p2p-circuit`, plus the relay's public addresses
   * from the reservation (its loopback and private ones mean nothing to other hosts). */
  private apply (slot: Slot, reservation: { addrs: Uint8Array[], expire: bigint }): void {
    slot.expires = Number(reservation.expire) * 1000
    const addrs = [slot.addr.encapsulate('/p2p-circuit')]
    for (const bytes of reservation.addrs) {
      try {
        const a = multiaddr(bytes)
        if (!isPublicAddr(a)) continue
        const withId = a.getComponents().some(c => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${slot.peer.toString()}`)
        const circuit = withId.encapsulate('/p2p-circuit')
        if (!addrs.some(x => x.equals(circuit))) addrs.push(circuit)
      } catch {}
    }
    this.withdraw(slot, addrs)
  }

  /** Make `keep` the slot's announced relayed addresses. They go in libp2p's append-announce
   * set: addresses from a transport listener would need one listener per reservation, and the
   * address manager shows no others. */
  private withdraw (slot: Slot, keep: Multiaddr[]): void {
    const am = components(this.host).addressManager
    const set: Set<string> = am.appendAnnounce
    for (const a of slot.addrs) set.delete(a.toString())
    for (const a of keep) set.add(a.toString())
    slot.addrs = keep
    am._updatePeerStoreAddresses() // identify, and self:peer:update for the announcer
  }
}

/** A relay's refusal in words (the circuit relay transport only says "status NAME"). */
function explain (err: any): string {
  const msg = String(err?.message ?? err)
  if (msg.includes('PERMISSION_DENIED')) return 'refused: this node is not allowed to use the relay (PERMISSION_DENIED; see coordinator.allowPeers)'
  if (msg.includes('RESERVATION_REFUSED')) return 'refused: the relay is full (RESERVATION_REFUSED; see coordinator.relay.maxReservations)'
  if (msg.includes('RESOURCE_LIMIT_EXCEEDED')) return 'refused: the relay is out of resources (RESOURCE_LIMIT_EXCEEDED)'
  if (err?.name === 'UnsupportedProtocolError' || /protocol selection failed/i.test(msg)) return 'the coordinator does not relay (coordinator.relay.enabled is false)'
  return msg
}

/**
 * libp2p's internal components (transport manager, address manager): not on the public type.
 * There is no public way to do the keeper's work in libp2p 3.3 / circuit-relay-v2 4.2: the
 * transport's reservation store (addRelay, hasReservation, its events) is not exported; Libp2p
 * has no method to listen on or announce an address at runtime; and the public route, a
 * `<relay>/p2p-circuit` listen address given at start, reserves once (its listener drops the
 * addresses on `relay:removed` and never reserves again after a coordinator restart), fails the
 * start when the coordinator is down, reserves whether or not the node is reachable, and keeps
 * the refusal's reason from `status`.
 */
function components (host: Libp2p): any {
  return (host as any).components
}
