import {
  ENDGAME_COPIES, EWMA_ALPHA, MAX_ATTEMPTS_PER_PEER, MAX_PEER_FAILURES, REQUESTS_PER_STREAM,
  STREAMS_PER_PROVIDER
} from './constants.js'
import { requestShares } from './shares.js'
import { PeerReserve } from './reserve.js'
import type { ByteBudget } from './budget.js'

/**
 * Why a request failed, as the fetcher saw it.
 * - timeout, error, busy: the peer may recover; a strike, and a ban after MAX_PEER_FAILURES
 *   in a row
 * - not-found, changed: the peer can no longer serve this file; dropped
 * - bad-data: a hash mismatch or a protocol violation; banned at once
 * - cancelled: our own doing (the stream was torn down for another request); no strike
 */
export type FailureReason = 'timeout' | 'error' | 'busy' | 'not-found' | 'changed' | 'bad-data' | 'cancelled'

export interface SchedulerInit {
  /** Number of chunks in the file. */
  chunks: number
  /** Chunks already verified on disk (a resumed download). */
  done?: Iterable<number>
  /** Requests in flight plus verified chunks waiting for the disk, over all peers. */
  maxInFlight?: number
  /** Bytes those count for, checked before each request: every chunk in flight or waiting for
   * the disk takes `chunkBytes` from it. */
  budget?: ByteBudget
  /** The manifest's chunk size. */
  chunkBytes?: number
  /** Requests in flight to one peer. @default STREAMS_PER_PROVIDER * REQUESTS_PER_STREAM */
  perPeerInFlight?: number
  /** Requests in flight over all peers, shared among them by how fast each delivers
   * (shares.ts), at least one each. @default no limit but perPeerInFlight each */
  totalInFlight?: number
  /** Consecutive failures before a peer is banned. @default MAX_PEER_FAILURES */
  maxFailures?: number
  /** Attempts of one chunk from one peer. @default MAX_ATTEMPTS_PER_PEER */
  maxAttemptsPerPeer?: number
  /** Copies of one chunk in flight at once in the endgame. @default ENDGAME_COPIES */
  endgameCopies?: number
  /** Clock, injectable for tests. */
  now?: () => number
  /** Called when the peers fetched from change (`reserve`): the fetchers of peers in reserve
   * wait for this, not for every chunk. */
  onFocusChange?: () => void
}

export type PeerState = 'active' | 'banned' | 'gone'

export interface PeerStats {
  peer: string
  state: PeerState
  /** Why the peer was banned or left. */
  reason?: string
  inFlight: number
  /** Chunks accepted from this peer (first verified copy). */
  chunks: number
  bytes: number
  failures: number
  /** Throughput average over responses, bytes per second. */
  rate: number
}

interface Peer extends Omit<PeerStats, 'inFlight'> {
  requests: Set<number>
  strikes: number
}

const MISSING = 0
const ACTIVE = 1
const WRITING = 2
const DONE = 3

/**
 * Which chunk to ask which peer for next. Pure policy: no I/O, no timers; the fetchers report
 * what happened and ask again. A pull model spreads chunks over every provider in proportion
 * to its speed: a fast peer frees its slots sooner and so takes more.
 *
 * - fresh chunks are handed out in order (the file fills front to back);
 * - a failed chunk goes back to the pool and is retried first by a peer that has not failed
 *   it; the peer that failed it gets it back only when no other peer can try;
 * - with `totalInFlight`, each peer may have its share of it by measured speed (shares.ts);
 * - endgame: when nothing is left to hand out, an idle peer duplicates the oldest chunk in
 *   flight held only by peers no faster than it; the first verified copy wins, and the other
 *   is no longer `wanted` (its fetcher drops it).
 */
export class ChunkScheduler {
  readonly chunks: number
  private readonly status: Uint8Array
  private readonly peers = new Map<string, Peer>()
  /** Chunks in flight: who is fetching each and since when. */
  private readonly active = new Map<number, { peers: Set<string>, since: number }>()
  /** Attempts per chunk and peer, only for chunks that failed somewhere. */
  private readonly attempts = new Map<number, Map<string, number>>()
  /** Missing chunks that were handed out before (every missing chunk below `cursor`). */
  private readonly retry = new Set<number>()
  private cursor = 0
  private requests = 0
  private writing = 0
  private doneCount = 0
  private readonly maxInFlight: number
  private readonly budget?: ByteBudget
  private readonly chunkBytes: number
  /** Bytes taken from `budget`: inFlight x chunkBytes until close(). */
  private held = 0
  private closed = false
  private readonly perPeer: number
  private readonly total: number
  private readonly maxFailures: number
  private readonly maxAttempts: number
  private readonly copies: number
  private readonly now: () => number
  /** The peers fetched from when not all are (the fastest, when this machine's CPU is what
   * limits the download: focus.ts); the other active ones are in reserve. */
  readonly reserve: PeerReserve

  constructor (init: SchedulerInit) {
    this.chunks = init.chunks
    this.status = new Uint8Array(init.chunks)
    this.perPeer = init.perPeerInFlight ?? STREAMS_PER_PROVIDER * REQUESTS_PER_STREAM
    this.total = init.totalInFlight ?? Number.POSITIVE_INFINITY
    this.maxInFlight = init.maxInFlight ?? Number.POSITIVE_INFINITY
    this.budget = init.budget
    this.chunkBytes = init.chunkBytes ?? 0
    this.maxFailures = init.maxFailures ?? MAX_PEER_FAILURES
    this.maxAttempts = init.maxAttemptsPerPeer ?? MAX_ATTEMPTS_PER_PEER
    this.copies = init.endgameCopies ?? ENDGAME_COPIES
    this.now = init.now ?? Date.now
    this.reserve = new PeerReserve(() => this.activeIds(), init.onFocusChange)
    for (const i of init.done ?? []) {
      if (i >= 0 && i < this.chunks && this.status[i] !== DONE) {
        this.status[i] = DONE
        this.doneCount++
      }
    }
  }

  get complete (): boolean {
    return this.doneCount === this.chunks
  }

  get done (): number {
    return this.doneCount
  }

  /** Chunks neither done, in flight nor being written. */
  get missing (): number {
    return this.chunks - this.doneCount - this.writing - this.active.size
  }

  /** Nothing in flight and no missing chunk can be fetched by anyone: give up. */
  get stuck (): boolean {
    return this.inFlight === 0 && this.missing > 0 && this.unavailable().length === this.missing
  }

  /** Requests in flight plus chunks waiting for the disk. */
  get inFlight (): number {
    return this.requests + this.writing
  }

  /** No request may go out for a reason on this machine: chunks waiting for the disk fill the
   * in-flight limit or the memory budget. More providers would not help. */
  get heldBack (): boolean {
    return this.writing > 0 && (this.inFlight >= this.maxInFlight || this.budget?.fits(this.chunkBytes) === false)
  }

  addPeer (peer: string): void {
    if (this.peers.has(peer)) return
    this.peers.set(peer, { peer, state: 'active', requests: new Set(), chunks: 0, bytes: 0, failures: 0, strikes: 0, rate: 0 })
  }

  isActive (peer: string): boolean {
    return this.peers.get(peer)?.state === 'active'
  }

  /** The next chunk `peer` should fetch, now marked in flight; undefined when there is none
   * for it (limits reached, nothing left, or the peer is not active). */
  next (peer: string): number | undefined {
    const p = this.peers.get(peer)
    if (p?.state !== 'active' || this.reserve.holds(peer) || p.requests.size >= this.perPeer || this.inFlight >= this.maxInFlight) return undefined
    // few chunks in flight (large chunks): each peer its share, so they are all used
    if (p.requests.size >= Math.ceil(this.maxInFlight / this.activePeers())) return undefined
    // the requests in flight shared by speed; a peer over its share (shares moved) drains first
    if (p.requests.size > 0 && (this.requests >= this.total || p.requests.size >= this.shareOf(peer))) return undefined
    if (this.closed || this.budget?.fits(this.chunkBytes) === false) return undefined
    const i = this.pick(peer, p)
    this.settle()
    return i
  }

  private pick (peer: string, p: Peer): number | undefined {
    for (const i of this.retry) {
      if (this.tries(i, peer) === 0) return this.take(i, p)
    }
    while (this.cursor < this.chunks && this.status[this.cursor] !== MISSING) this.cursor++
    if (this.cursor < this.chunks) return this.take(this.cursor++, p)
    for (const i of this.retry) {
      if (this.tries(i, peer) < this.maxAttempts && !this.someoneElseCanTry(i, peer)) return this.take(i, p)
    }
    return this.endgame(p)
  }

  /** How many requests `p` may have in flight now: its share of totalInFlight by speed. */
  shareOf (peer: string): number {
    const active = [...this.peers.values()].filter(q => q.state === 'active' && !this.reserve.holds(q.peer))
    const i = active.findIndex(q => q.peer === peer)
    if (i === -1) return 0
    return requestShares(active.map(q => q.rate), this.total, this.perPeer)[i]
  }

  /** False once a copy of `index` was verified (a duplicate still on its way is no use: the
   * fetcher may drop its stream rather than read the rest). */
  wanted (index: number): boolean {
    return this.status[index] === ACTIVE
  }

  /** The download is over: give back every byte still counted. */
  close (): void {
    this.closed = true
    this.settle()
  }

  /** Bring the bytes taken from the budget in line with what is in flight. */
  private settle (): void {
    if (this.budget == null) return
    const want = this.closed ? 0 : this.inFlight * this.chunkBytes
    if (want > this.held) this.budget.take(want - this.held)
    else if (want < this.held) this.budget.give(this.held - want)
    this.held = want
  }

  /** A verified copy of `index` arrived from `peer`. True when it is the first: the caller
   * writes it and then calls `written`. False: a duplicate (or a late answer), discard it. */
  received (peer: string, index: number, bytes: number, ms: number): boolean {
    const p = this.peers.get(peer)
    if (p == null || !this.release(p, index)) return false
    try {
      return this.accept(p, index, bytes, ms)
    } finally {
      this.settle()
    }
  }

  private accept (p: Peer, index: number, bytes: number, ms: number): boolean {
    p.strikes = 0
    const sample = bytes / Math.max(ms, 1) * 1000
    p.rate = p.rate === 0 ? sample : EWMA_ALPHA * sample + (1 - EWMA_ALPHA) * p.rate
    if (this.status[index] !== ACTIVE) return false
    this.status[index] = WRITING
    this.active.delete(index)
    this.writing++
    p.chunks++
    p.bytes += bytes
    return true
  }

  /** A received chunk is on disk. */
  written (index: number): void {
    if (this.status[index] !== WRITING) return
    this.status[index] = DONE
    this.writing--
    this.doneCount++
    this.settle()
  }

  /** A request failed; the chunk goes back to the pool unless another copy is in flight. */
  failed (peer: string, index: number, reason: FailureReason, detail?: string): void {
    const p = this.peers.get(peer)
    if (p == null || !this.release(p, index)) return
    if (reason !== 'cancelled') {
      let tries = this.attempts.get(index)
      if (tries == null) this.attempts.set(index, tries = new Map())
      tries.set(peer, (tries.get(peer) ?? 0) + 1)
    }
    this.requeue(index)
    if (reason !== 'cancelled') this.reserve.end()
    const why = detail == null ? reason : `${reason}: ${detail}`
    if (reason === 'bad-data' || reason === 'not-found' || reason === 'changed') {
      this.drop(p, 'banned', why)
    } else if (reason !== 'cancelled') {
      p.failures++
      if (++p.strikes >= this.maxFailures) this.drop(p, 'banned', `${p.strikes} failures in a row (last: ${why})`)
    }
    this.settle()
  }

  /** The peer is gone (its connection failed, its fetcher ended): its chunks return to the
   * pool. Not a penalty. */
  removePeer (peer: string, reason = 'gone'): void {
    const p = this.peers.get(peer)
    if (p?.state === 'active') this.drop(p, 'gone', reason)
    this.settle()
  }

  /** Missing chunks that no active peer can supply any more: the download cannot finish. */
  unavailable (): number[] {
    const active = [...this.peers.values()].filter(p => p.state === 'active')
    const out: number[] = []
    if (active.length === 0) {
      for (let i = 0; i < this.chunks; i++) if (this.status[i] === MISSING) out.push(i)
      return out
    }
    for (const i of this.retry) {
      if (active.every(p => this.tries(i, p.peer) >= this.maxAttempts)) out.push(i)
    }
    return out.sort((a, b) => a - b)
  }

  stats (): PeerStats[] {
    return [...this.peers.values()].map(({ requests, strikes, ...s }) => ({ ...s, inFlight: requests.size }))
  }

  /** Active peers, those in reserve left out. */
  private activePeers (): number {
    let n = 0
    for (const q of this.peers.values()) if (q.state === 'active' && !this.reserve.holds(q.peer)) n++
    return n
  }

  private activeIds (): Set<string> {
    const ids = new Set<string>()
    for (const q of this.peers.values()) if (q.state === 'active') ids.add(q.peer)
    return ids
  }

  private tries (index: number, peer: string): number {
    return this.attempts.get(index)?.get(peer) ?? 0
  }

  private someoneElseCanTry (index: number, peer: string): boolean {
    for (const q of this.peers.values()) {
      if (q.peer !== peer && q.state === 'active' && this.tries(index, q.peer) < this.maxAttempts) return true
    }
    return false
  }

  private endgame (p: Peer): number | undefined {
    let best: number | undefined
    let since = Number.POSITIVE_INFINITY
    for (const [i, a] of this.active) {
      if (a.peers.size < this.copies && !a.peers.has(p.peer) && a.since < since &&
        this.tries(i, p.peer) < this.maxAttempts && this.notSlower(p, a.peers)) {
        best = i
        since = a.since
      }
    }
    return best === undefined ? undefined : this.take(best, p)
  }

  /** `p` is not measured slower than any peer in `holders` (a slower copy would only add
   * traffic: the faster one finishes first anyway). An unmeasured peer may try. */
  private notSlower (p: Peer, holders: Set<string>): boolean {
    if (p.rate === 0) return true
    for (const h of holders) if ((this.peers.get(h)?.rate ?? 0) > p.rate) return false
    return true
  }

  private take (index: number, p: Peer): number {
    const a = this.active.get(index)
    if (a == null) this.active.set(index, { peers: new Set([p.peer]), since: this.now() })
    else a.peers.add(p.peer)
    this.status[index] = ACTIVE
    this.retry.delete(index)
    p.requests.add(index)
    this.requests++
    return index
  }

  /** Free `p`'s slot for `index`; false when it held none (already released). */
  private release (p: Peer, index: number): boolean {
    if (!p.requests.delete(index)) return false
    this.requests--
    this.active.get(index)?.peers.delete(p.peer)
    return true
  }

  private requeue (index: number): void {
    const a = this.active.get(index)
    if (this.status[index] === ACTIVE && (a == null || a.peers.size === 0)) {
      this.status[index] = MISSING
      this.active.delete(index)
      this.retry.add(index)
    }
  }

  private drop (p: Peer, state: PeerState, reason: string): void {
    p.state = state
    p.reason = reason
    this.reserve.left(p.peer)
    for (const i of [...p.requests]) {
      this.release(p, i)
      this.requeue(i)
    }
  }
}
