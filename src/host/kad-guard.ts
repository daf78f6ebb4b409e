import { logger } from '@libp2p/logger'
import { RateLimiter } from '@libp2p/utils'
import { GATER_METHODS } from './inbound-guard.js'
import { KAD_PEER_BAN, KAD_PEER_MESSAGES, KAD_PEER_STRIKES, KAD_PEER_WINDOW, MAX_KAD_BANNED } from './constants.js'
import type { Connection, ConnectionGater, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { KadDHTComponents } from '@libp2p/kad-dht'

type Registrar = KadDHTComponents['registrar']

const log = logger('fsnode:host:kad-guard')

/** A peer sent more DHT messages than its rate allows: its stream is reset. */
export class KadFloodError extends Error {
  static readonly code = 'KadFloodError'
  override name = 'KadFloodError'
}

export interface KadGuardInit {
  /** DHT messages one peer may send per `window` (ms) over all its streams (default KAD_PEER_MESSAGES
   * per KAD_PEER_WINDOW); past it each of its streams is reset. */
  messages?: number
  window?: number
  /** Streams reset per `window` before the peer is cut off: its connections closed and new ones
   * refused for `ban` ms (defaults KAD_PEER_STRIKES, KAD_PEER_BAN). */
  strikes?: number
  ban?: number
}

export interface KadGuardStats {
  /** Streams reset because their peer was over its message rate, since start. */
  resetStreams: number
  /** Times a peer was cut off, since start. */
  bans: number
  /** Peers cut off now. */
  banned: number
}

/**
 * A per-peer bound on what the DHT handles. kad-dht reads every message a peer sends, in turn,
 * on as many streams as it opens, and each message costs it a timer, a handler and buffers:
 * a flood of 200,000 messages from one peer id grew a node by 60 MB even when all the records
 * were refused (refusing a record resets one stream; the peer opens the next). Here the
 * messages of each inbound stream are counted as they arrive (length prefixes, before kad-dht
 * decodes them); a peer over its rate has the stream reset before the message reaches kad-dht,
 * and a peer that keeps on is cut off for a while (its connections closed, new ones refused by
 * the connection gater), so what it sends next is never received. Honest DHT traffic (a few
 * messages per query, one ADD_PROVIDER per record) stays far below the rate.
 */
export class KadGuard {
  private readonly rate: RateLimiter
  private readonly strikes: RateLimiter
  private readonly banMs: number
  private readonly messages: number
  private readonly windowMs: number
  /** Peer id -> when its ban ends (ms since epoch), oldest first. */
  private readonly banned = new Map<string, number>()
  private resets = 0
  private bans = 0

  constructor (init: KadGuardInit = {}) {
    this.windowMs = init.window ?? KAD_PEER_WINDOW
    const duration = this.windowMs / 1000
    this.messages = init.messages ?? KAD_PEER_MESSAGES
    this.rate = new RateLimiter({ points: this.messages, duration, keyPrefix: 'kad-messages' })
    this.strikes = new RateLimiter({ points: init.strikes ?? KAD_PEER_STRIKES, duration, keyPrefix: 'kad-strikes' })
    this.banMs = init.ban ?? KAD_PEER_BAN
  }

  stats (): KadGuardStats {
    this.prune()
    return { resetStreams: this.resets, bans: this.bans, banned: this.banned.size }
  }

  /** Whether `peer` is cut off now. */
  isBanned (peer: PeerId | string): boolean {
    const until = this.banned.get(peer.toString())
    if (until == null) return false
    if (until > Date.now()) return true
    this.banned.delete(peer.toString())
    return false
  }

  /** The handler kad-dht registers, behind the guard. */
  wrap (handler: StreamHandler): StreamHandler {
    return async (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString()
      if (this.isBanned(peer)) {
        connection.abort(new KadFloodError(`peer ${peer} is cut off for sending too many DHT messages`))
        return
      }
      this.count(stream, connection, peer)
      await handler(stream, connection)
    }
  }

  /** The registrar given to kad-dht: its handler for `protocol` goes through wrap(). */
  registrar (inner: Registrar, protocol: string): Registrar {
    const wrap = this.wrap.bind(this)
    return new Proxy(inner, {
      get (target, prop) {
        if (prop === 'handle') {
          return async (p: string, handler: StreamHandler, opts?: any) => {
            await target.handle(p, p === protocol ? wrap(handler) : handler, opts)
          }
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      }
    })
  }

  /** A connection gater that refuses peers while they are cut off; wraps `inner`. */
  gater (inner: ConnectionGater = {}): ConnectionGater {
    const delegated: Record<string, unknown> = {}
    for (const key of GATER_METHODS) {
      const fn = inner[key] as ((...args: any[]) => unknown) | undefined
      if (typeof fn === 'function') delegated[key] = fn.bind(inner)
    }
    return {
      ...delegated,
      denyInboundEncryptedConnection: async (peerId, maConn) => {
        if (this.isBanned(peerId)) return true
        return await inner.denyInboundEncryptedConnection?.(peerId, maConn) === true
      }
    }
  }

  /** Count the messages of an inbound stream as its data is delivered; past the peer's rate the
   * data is dropped and the stream reset. */
  private count (stream: Stream, connection: Connection, peer: string): void {
    const frames = new FrameCounter()
    const dispatch = stream.dispatchEvent.bind(stream)
    stream.dispatchEvent = (event: Event) => {
      if (event.type !== 'message') return dispatch(event)
      const data = (event as any).data as Uint8Array | Iterable<Uint8Array> | undefined
      let n = 0
      if (data instanceof Uint8Array) n = frames.feed(data)
      else if (data != null) for (const buf of data) n += frames.feed(buf)
      if (n > 0) {
        try {
          this.rate.consume(peer, n)
        } catch {
          this.refuse(stream, connection, peer)
          return false
        }
      }
      return dispatch(event)
    }
  }

  private refuse (stream: Stream, connection: Connection, peer: string): void {
    this.resets++
    stream.abort(new KadFloodError(`peer ${peer} sent more than ${this.messages} DHT messages in ${this.windowMs / 1000} s`))
    try {
      this.strikes.consume(peer)
    } catch {
      this.ban(peer, connection)
    }
  }

  private ban (peer: string, connection: Connection): void {
    this.prune()
    if (this.banned.size >= MAX_KAD_BANNED) this.banned.delete(this.banned.keys().next().value as string)
    this.banned.delete(peer)
    this.banned.set(peer, Date.now() + this.banMs)
    this.bans++
    log('cutting off %s for %d s: DHT flood', peer, Math.round(this.banMs / 1000))
    connection.abort(new KadFloodError(`peer ${peer} is cut off for sending too many DHT messages`))
  }

  private prune (): void {
    const now = Date.now()
    for (const [peer, until] of this.banned) if (until <= now) this.banned.delete(peer)
  }
}

/** Counts the messages starting in a stream of varint-length-prefixed messages, fed in pieces. */
export class FrameCounter {
  /** Bytes of the current message's body still to come. */
  private body = 0
  /** The length prefix being read. */
  private len = 0
  private shift = 0

  /** Messages whose length prefix ended in `buf`. */
  feed (buf: Uint8Array): number {
    let starts = 0
    let i = 0
    while (i < buf.length) {
      if (this.body > 0) {
        const n = Math.min(this.body, buf.length - i)
        this.body -= n
        i += n
        continue
      }
      const b = buf[i++]
      this.len += (b & 0x7f) * 2 ** this.shift
      this.shift += 7
      if (b < 0x80) {
        starts++
        this.body = this.len
        this.len = 0
        this.shift = 0
      } else if (this.shift >= 63) {
        // not a length kad-dht would accept: it fails the stream itself; count no further
        this.body = Infinity
      }
    }
    return starts
  }
}
