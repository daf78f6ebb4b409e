import { logger } from '@libp2p/logger'
import { isLinkLocal, isLoopback, isPrivate } from '@libp2p/utils'
import { TokenBucket } from './token-bucket.js'
import { formatRate } from './rate.js'
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
}

/** A connection as far as limits care: where the other end is. */
export interface RemoteEnd {
  remoteAddr: Multiaddr
}

/**
 * The node's two buckets, shared by every transfer so the limits hold for the node as a whole.
 * Peers on the local network are exempt unless `limitLan`, as in Syncthing.
 */
export class Bandwidth {
  readonly upload: TokenBucket
  readonly download: TokenBucket
  private lan: boolean

  constructor (limits: BandwidthLimits) {
    this.upload = new TokenBucket(limits.upload)
    this.download = new TokenBucket(limits.download)
    this.lan = limits.limitLan
  }

  get limits (): BandwidthLimits {
    return { upload: this.upload.rate, download: this.download.rate, limitLan: this.lan }
  }

  /** Change rates at runtime; what is not given stays. Waiting transfers see it at once. */
  set (change: Partial<BandwidthLimits>): BandwidthLimits {
    if (change.upload !== undefined) this.upload.setRate(change.upload)
    if (change.download !== undefined) this.download.setRate(change.download)
    if (change.limitLan !== undefined) this.lan = change.limitLan
    const l = this.limits
    log('limits now upload %s, download %s%s', formatRate(l.upload), formatRate(l.download), l.limitLan ? ', LAN too' : '')
    return l
  }

  /** The limiter for sending on this connection; undefined when it is exempt or unlimited. */
  uploadFor (conn: RemoteEnd): RateLimiter | undefined {
    return this.applies(conn) ? this.upload : undefined
  }

  downloadFor (conn: RemoteEnd): RateLimiter | undefined {
    return this.applies(conn) ? this.download : undefined
  }

  /** Decided when a stream starts; a rate set later still reaches it (at rate 0 the bucket
   * passes everything). */
  private applies (conn: RemoteEnd): boolean {
    return this.lan || !isLocal(conn.remoteAddr)
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
