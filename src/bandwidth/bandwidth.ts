import { logger } from '@libp2p/logger'
import { isLinkLocal, isLoopback, isPrivate } from '@libp2p/utils'
import { TokenBucket } from './token-bucket.js'
import { formatRate } from './rate.js'
import { MAX_PEER_BUCKETS } from './constants.js'
import type { RateLimiter } from './token-bucket.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('fsnode:bandwidth')

export interface BandwidthLimits {
  /** Bytes per second sent to peers (chunk bodies), 0 = none. */
  upload: number
  /** Bytes per second read from peers (chunk bodies), 0 = none. */
  download: number
  /** Limit peers on the local network too (loopback, private, link-local addresses). */
  limitLan: boolean
  /** Bytes per second to and from each peer on its own, within the node's limits; 0 or absent
   * = none. Shown only while one of them is set. */
  perPeer?: Required<PeerLimits>
}

export interface PeerLimits {
  upload?: number
  download?: number
}

/** Limits as given (config, a change): per-peer rates not given are none / unchanged. */
export type BandwidthInit = Omit<BandwidthLimits, 'perPeer'> & { perPeer?: PeerLimits }

/** A connection as far as limits care: where the other end is, and who (for per-peer limits). */
export interface RemoteEnd {
  remoteAddr: Multiaddr
  remotePeer?: { toString: () => string }
}

interface PeerBuckets {
  upload: TokenBucket
  download: TokenBucket
}

/**
 * The node's two buckets, shared by every transfer so the limits hold for the node as a whole.
 * Peers on the local network are exempt unless `limitLan`, as in Syncthing.
 */
export class Bandwidth {
  readonly upload: TokenBucket
  readonly download: TokenBucket
  private lan: boolean
  private peerUpload: number
  private peerDownload: number
  /** Each peer's buckets, least recently used first. */
  private readonly peers = new Map<string, PeerBuckets>()

  constructor (limits: BandwidthInit) {
    this.upload = new TokenBucket(limits.upload)
    this.download = new TokenBucket(limits.download)
    this.lan = limits.limitLan
    this.peerUpload = checkRate(limits.perPeer?.upload ?? 0)
    this.peerDownload = checkRate(limits.perPeer?.download ?? 0)
  }

  get limits (): BandwidthLimits {
    const l: BandwidthLimits = { upload: this.upload.rate, download: this.download.rate, limitLan: this.lan }
    if (this.peerUpload > 0 || this.peerDownload > 0) l.perPeer = { upload: this.peerUpload, download: this.peerDownload }
    return l
  }

  /** Change rates at runtime; what is not given stays. Waiting transfers see it at once. */
  set (change: Partial<BandwidthInit>): BandwidthLimits {
    // a bad rate changes nothing
    const peerUpload = checkRate(change.perPeer?.upload ?? this.peerUpload)
    const peerDownload = checkRate(change.perPeer?.download ?? this.peerDownload)
    if (change.upload !== undefined) this.upload.setRate(change.upload)
    if (change.download !== undefined) this.download.setRate(change.download)
    if (change.limitLan !== undefined) this.lan = change.limitLan
    if (peerUpload !== this.peerUpload || peerDownload !== this.peerDownload) {
      this.peerUpload = peerUpload
      this.peerDownload = peerDownload
      for (const b of this.peers.values()) {
        b.upload.setRate(peerUpload)
        b.download.setRate(peerDownload)
      }
    }
    const l = this.limits
    log('limits now upload %s, download %s%s%s', formatRate(l.upload), formatRate(l.download), l.limitLan ? ', LAN too' : '',
      l.perPeer == null ? '' : `; per peer upload ${formatRate(this.peerUpload)}, download ${formatRate(this.peerDownload)}`)
    return l
  }

  /** The limiter for sending on this connection; undefined when it is exempt. With a remote peer
   * it is that peer's bucket and the node's together, so a per-peer limit set later reaches it. */
  uploadFor (conn: RemoteEnd): RateLimiter | undefined {
    if (!this.applies(conn)) return undefined
    return conn.remotePeer == null ? this.upload : both(this.bucketsOf(conn.remotePeer.toString()).upload, this.upload)
  }

  downloadFor (conn: RemoteEnd): RateLimiter | undefined {
    if (!this.applies(conn)) return undefined
    return conn.remotePeer == null ? this.download : both(this.bucketsOf(conn.remotePeer.toString()).download, this.download)
  }

  /** A peer's buckets, shared by all its streams (so the limit holds however many it opens).
   * At most MAX_PEER_BUCKETS peers are kept: the least recently used are forgotten (a stream
   * still holding theirs keeps it). */
  private bucketsOf (peer: string): PeerBuckets {
    let b = this.peers.get(peer)
    if (b == null) {
      b = { upload: new TokenBucket(this.peerUpload), download: new TokenBucket(this.peerDownload) }
      if (this.peers.size >= MAX_PEER_BUCKETS) this.peers.delete(this.peers.keys().next().value as string)
    } else {
      this.peers.delete(peer)
    }
    this.peers.set(peer, b)
    return b
  }

  /** Decided when a stream starts; a rate set later still reaches it (at rate 0 the bucket
   * passes everything). */
  private applies (conn: RemoteEnd): boolean {
    return this.lan || !isLocal(conn.remoteAddr)
  }
}

function checkRate (rate: number): number {
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`bad rate ${rate}`)
  return rate
}

/** Bytes move when both `first` (the peer's bucket) and `second` (the node's) allow them. */
function both (first: RateLimiter, second: RateLimiter): RateLimiter {
  return {
    async take (bytes, signal) {
      await first.take(bytes, signal)
      await second.take(bytes, signal)
    },
    pieceBytes (max) {
      return second.pieceBytes(first.pieceBytes(max))
    }
  }
}

/** Loopback, private or link-local: the local network. */
export function isLocal (addr: Multiaddr): boolean {
  try {
    return isLoopback(addr) || isPrivate(addr) || isLinkLocal(addr)
  } catch {
    return false
  }
}
