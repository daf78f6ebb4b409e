import type { Multiaddr } from '@multiformats/multiaddr'

/** A stream that holds a serving slot. */
export interface SlotHolder {
  /** The remote address the slot counts against (see addressKey). */
  readonly address: string
  readonly peer: string
  /** Waiting for a request, so closing it loses no work. */
  idle: boolean
  /** Has been sent a chunk or a manifest: preferred over one that has not when evicting. */
  served: boolean
  /** Close the stream (it is idle); called after its slot is taken back. */
  evict: () => void
}

export interface SlotLimits {
  /** Slots over all peers. */
  total: number
  /** Slots one remote address (an IPv4 address, an IPv6 /64) may hold. */
  perAddress: number
  /** Slots one peer id may hold, over all its connections. */
  perPeer: number
}

/**
 * The chunk server's serving slots, shared out per address and per peer: identities cost
 * nothing to make, addresses do, so one address never holds more than `perAddress` however
 * many peer ids it uses. When every slot is taken, a stream from an address holding fewer
 * slots than the biggest holder takes an idle stream of that holder's (max-min fairness), so
 * many abusive addresses cannot lock out a new one either.
 */
export class ServingSlots {
  private readonly byAddress = new Map<string, Set<SlotHolder>>()
  private readonly byPeer = new Map<string, Set<SlotHolder>>()
  private count = 0

  constructor (readonly limits: SlotLimits) {}

  get size (): number {
    return this.count
  }

  /** Give `h` a slot; false when it gets none (the stream is answered BUSY). */
  acquire (h: SlotHolder): boolean {
    const mine = this.byAddress.get(h.address)?.size ?? 0
    if (mine >= this.limits.perAddress || (this.byPeer.get(h.peer)?.size ?? 0) >= this.limits.perPeer) return false
    if (this.count >= this.limits.total && !this.evictFor(h.address, mine)) return false
    add(this.byAddress, h.address, h)
    add(this.byPeer, h.peer, h)
    this.count++
    return true
  }

  release (h: SlotHolder): void {
    if (!remove(this.byAddress, h.address, h)) return
    remove(this.byPeer, h.peer, h)
    this.count--
  }

  /** Free a slot for a stream from `address`, which holds `mine`: take one from the address
   * holding the most, if that is at least two more (else the newcomer would just become the
   * biggest holder), from its biggest peer, a stream never served first. */
  private evictFor (address: string, mine: number): boolean {
    let victims: Set<SlotHolder> | undefined
    for (const [other, set] of this.byAddress) {
      if (other !== address && set.size > mine + 1 && set.size > (victims?.size ?? 0)) victims = set
    }
    if (victims == null) return false
    let best: SlotHolder | undefined
    const rank = (x: SlotHolder): number => (this.byPeer.get(x.peer)?.size ?? 0) * 2 + (x.served ? 0 : 1)
    for (const x of victims) {
      if (x.idle && (best == null || rank(x) > rank(best))) best = x
    }
    if (best == null) return false
    this.release(best)
    best.evict()
    return true
  }
}

function add (map: Map<string, Set<SlotHolder>>, key: string, h: SlotHolder): void {
  let set = map.get(key)
  if (set == null) map.set(key, set = new Set())
  set.add(h)
}

function remove (map: Map<string, Set<SlotHolder>>, key: string, h: SlotHolder): boolean {
  const set = map.get(key)
  if (set?.delete(h) !== true) return false
  if (set.size === 0) map.delete(key)
  return true
}

/** What a connection's slots count against: its IPv4 address, or the /64 of its IPv6 address
 * (one host gets a whole /64); the full address for anything else (a relay, a unix socket). */
export function addressKey (remoteAddr: Multiaddr): string {
  const ip = remoteAddr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  if (ip?.value == null) return remoteAddr.toString()
  if (ip.name === 'ip4') return ip.value
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip.value)
  const text = dotted == null
    ? ip.value
    : ip.value.slice(0, dotted.index) + [[1, 2], [3, 4]].map(([x, y]) => (Number(dotted[x]) * 256 + Number(dotted[y])).toString(16)).join(':')
  const [head, tail] = text.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail == null || tail === '' ? [] : tail.split(':')
  const g = (tail == null ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]).map(x => parseInt(x, 16))
  if (g.slice(0, 5).every(x => x === 0) && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.') // ::ffff:1.2.3.4 is that IPv4 address
  }
  return `${g.slice(0, 4).map(x => x.toString(16)).join(':')}::/64`
}
