import type { Stream } from '@libp2p/interface'
import type { BufferCap } from '../util/buffer-cap.js'
import { RELAY_BACKLOG } from './constants.js'

/** Token bucket with debt: a message always passes, and the sender is paused until the debt
 * is paid back. One second of burst. */
class Bucket {
  private tokens: number
  private at = Date.now()
  users = 0
  constructor (private readonly rate: number) { this.tokens = rate }

  /** Take n bytes; how long the sender must wait, in ms. */
  take (n: number): number {
    const now = Date.now()
    this.tokens = Math.min(this.rate, this.tokens + (now - this.at) * this.rate / 1000)
    this.at = now
    this.tokens -= n
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens * 1000 / this.rate)
  }
}

export interface ThrottleStats {
  /** Bytes relayed since start, both directions. */
  relayedBytes: number
  circuits: number
}

/**
 * Limits the bytes per second that go through the relay, per sending peer and in total, by
 * pausing the stream the bytes came in on: a paused yamux stream grants no more window, so the
 * sender itself slows down (nothing is dropped, nothing is buffered without bound).
 */
export class RelayThrottle {
  private readonly peers = new Map<string, Bucket>()
  private readonly total?: Bucket
  private relayedBytes = 0
  private circuits = 0

  /** `cap` is told of every relayed byte: each is a network buffer the relay leaves to the GC
   * (util/buffer-cap.ts), and a relay with little else to do collects them late: the bench's
   * coordinator peaked at 210-223 MB relaying 256 MiB, 162-175 MB with the cap. */
  constructor (private readonly peerRate: number, totalRate: number, private readonly cap?: Pick<BufferCap, 'received'>) {
    if (totalRate > 0) this.total = new Bucket(totalRate)
  }

  stats (): ThrottleStats {
    return { relayedBytes: this.relayedBytes, circuits: this.circuits }
  }

  /** Count (and limit) what `sender` sends on `stream`, one end of a circuit whose other end
   * is `to`. `stream` is also paused while `to` cannot take more (it waits for 'drain') or
   * holds more than RELAY_BACKLOG unsent bytes. The relay's pipe (@libp2p/utils `pipe`) stops
   * writing to `to` when it needs a drain but keeps reading `stream` into a queue of its own,
   * which `to`'s buffer does not show: a fast sender and a slow receiver would pile the
   * difference up there (bench/HISTORY.md, twelfth pass). */
  attach (stream: Stream, sender: string, to?: Stream): void {
    let bucket = this.peers.get(sender)
    if (bucket == null && this.peerRate > 0) {
      bucket = new Bucket(this.peerRate)
      this.peers.set(sender, bucket)
    }
    if (bucket != null) bucket.users++
    this.circuits++
    const holds = new Set<'rate' | 'backlog'>()
    const hold = (why: 'rate' | 'backlog'): boolean => {
      if (holds.has(why)) return false
      holds.add(why)
      if (holds.size === 1) try { stream.pause() } catch {} // closing: nothing left to slow down
      return true
    }
    const release = (why: 'rate' | 'backlog'): void => {
      if (!holds.delete(why) || holds.size > 0) return
      try { stream.resume() } catch {}
    }
    let resumeTimer: ReturnType<typeof setTimeout> | undefined
    const onDrain = (): void => { release('backlog') }
    const onMessage = (evt: any): void => {
      const n: number = evt.data.byteLength
      this.relayedBytes += n
      this.cap?.received(n)
      const wait = Math.max(bucket?.take(n) ?? 0, this.total?.take(n) ?? 0)
      if (wait > 0 && hold('rate')) {
        resumeTimer = setTimeout(() => { resumeTimer = undefined; release('rate') }, wait)
      }
      if (to != null && (to.writableNeedsDrain || to.writeBufferLength > RELAY_BACKLOG) && hold('backlog')) {
        to.addEventListener('drain', onDrain, { once: true })
      }
    }
    stream.addEventListener('message', onMessage)
    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage)
      to?.removeEventListener('drain', onDrain)
      if (resumeTimer != null) clearTimeout(resumeTimer)
      this.circuits--
      if (bucket != null && --bucket.users === 0) this.peers.delete(sender)
    }
    stream.addEventListener('close', cleanup, { once: true })
    to?.addEventListener('close', () => { release('backlog') }, { once: true })
  }
}
