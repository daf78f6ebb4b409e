import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { logger } from '@libp2p/logger'

const log = logger('fsnode:buffer-cap')

/** Received bytes between two looks at the external memory (one look costs ~1 µs). */
export const BUFFER_CAP_CHECK_BYTES = 1024 * 1024
/** Growth of external memory (network buffers) above its lowest level since the last forced
 * collection that starts another one; V8's own trigger is 64 MB. */
export const BUFFER_CAP_HEADROOM = 20 * 1024 * 1024
/** Least time between two forced collections: bounds their CPU whatever the traffic. */
export const BUFFER_CAP_MIN_INTERVAL = 100

export interface BufferCapInit {
  /** @default BUFFER_CAP_HEADROOM */
  headroom?: number
  /** @default BUFFER_CAP_CHECK_BYTES */
  checkBytes?: number
  /** @default BUFFER_CAP_MIN_INTERVAL */
  minInterval?: number
  /** Bytes held outside the V8 heap. @default V8's external memory */
  measure?: () => number
  /** A full, synchronous collection; undefined: the cap does nothing. @default V8's gc(), made
   * on the first collection (fullCollection): a node that never downloads makes no context */
  collect?: () => void
  now?: () => number
}

/**
 * Keeps a downloading process's dead network buffers from piling up. Every piece read from a
 * socket, every Noise frame and its plaintext is a fresh buffer outside the V8 heap; when the
 * process is short of CPU they live through two scavenges, are promoted, and then wait for a
 * full collection, which V8 starts only once external memory has grown by 64 MB. With three
 * providers a 1 GiB get's downloader held 58-76 MB of them (15-34 MB with one), its peak RSS
 * 178 MB. Counting the bytes received, the cap looks at external memory every MiB and forces a
 * full collection once it has grown by `headroom` above the lowest level seen since the last
 * one, so what is live (chunk buffers, windows) sets the base, never the trigger. A collection
 * takes ~25 ms on two loaded cores: three providers on this machine force ~26 per GiB (147 MB
 * peak), one provider 5-6 (bench/HISTORY.md, ninth pass).
 */
export class BufferCap {
  private readonly headroom: number
  private readonly checkBytes: number
  private readonly minInterval: number
  private readonly measure: () => number
  private readonly collect?: () => void
  private readonly now: () => number
  private unchecked = 0
  private base: number
  private last = Number.NEGATIVE_INFINITY
  /** Collections forced so far. */
  forced = 0

  constructor (init: BufferCapInit = {}) {
    this.headroom = init.headroom ?? BUFFER_CAP_HEADROOM
    this.checkBytes = init.checkBytes ?? BUFFER_CAP_CHECK_BYTES
    this.minInterval = init.minInterval ?? BUFFER_CAP_MIN_INTERVAL
    this.measure = init.measure ?? (() => getHeapStatistics().external_memory)
    this.collect = 'collect' in init ? init.collect : () => { fullCollection()?.() }
    this.now = init.now ?? (() => performance.now())
    this.base = this.measure()
  }

  /** `bytes` arrived from the network. */
  received (bytes: number): void {
    if (this.collect == null) return
    this.unchecked += bytes
    if (this.unchecked < this.checkBytes) return
    this.unchecked = 0
    const held = this.measure()
    this.base = Math.min(this.base, held)
    if (held - this.base < this.headroom) return
    const now = this.now()
    if (now - this.last < this.minInterval) return
    this.last = now
    this.collect()
    this.forced++
    // V8 takes what this freed off its external memory at the next collection (a scavenge, a
    // few hundred KB of traffic later): until then this reads high, and the next look lowers it
    this.base = this.measure()
    log.trace('forced full collection %d at %d bytes of external memory', this.forced, held)
  }
}

let collector: (() => void) | null | undefined

/**
 * V8's `gc()` without starting the process with --expose-gc: the flag, set at run time, gives
 * the function to contexts created afterwards, and a new context hands it over (what jest's
 * leak detector does). Undefined where this V8 refuses.
 */
export function fullCollection (): (() => void) | undefined {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      const gc: unknown = runInNewContext('gc')
      collector = typeof gc === 'function' ? () => { gc() } : null
    } catch {
      collector = null
    } finally {
      setFlagsFromString('--no-expose-gc')
    }
  }
  return collector ?? undefined
}
