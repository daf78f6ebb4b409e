import { logger } from '@libp2p/logger'
import { CID } from 'multiformats/cid'
import { PROVIDE_CONCURRENCY, PROVIDE_DEFER_MAX, PROVIDE_READY_POLL, PROVIDE_RETRY_MAX, PROVIDE_RETRY_MIN, PROVIDE_TIMEOUT } from './constants.js'
import { ProvideError } from './provider-records.js'
import type { ProviderRecords } from './provider-records.js'

const log = logger('fsnode:host:dht:upkeep')

export interface FileIdSource {
  /** The file ids to provide: CIDs, their bytes, or their bytes as a one-byte ('latin1')
   * string, the upkeep's own key (a share of 200,000 files gives those: no CID per file). Read
   * as the provides go (an iterator kept between them), so it should see changes made meanwhile
   * (a Map's iterator does). */
  fileIds: () => Iterable<CID | Uint8Array | string>
  /** Whether the id of this key (see keyOf) is among fileIds(), and how many distinct ids that
   * gives: with both, the upkeep keeps state only for ids it has begun to provide. Without them
   * each sync makes a set of every id. */
  has?: (key: string) => boolean
  count?: () => number
}

export interface ProvideUpkeepInit {
  /** True while the node is busy (downloading): provides wait for it to be idle, up to
   * `deferMax` after each id was queued. */
  busy?: () => boolean
  /** @default PROVIDE_DEFER_MAX */
  deferMax?: number
  concurrency?: number
  timeout?: number
  retryMin?: number
  retryMax?: number
}

export interface ProvideUpkeepStats {
  /** File ids being kept provided. */
  files: number
  provided: number
  queued: number
  running: number
  /** Waiting to retry after a failed provide. */
  retrying: number
  /** File ids withdrawn since start. */
  withdrawn: number
  failures: number
  /** DHT requests spent providing since start (re-provides by kad-dht itself not included). */
  messages: number
  lastError?: string
}

/**
 * A file id as a map key: its 36 bytes as a one-byte string. Neither the CID (with its digest
 * and byte views, ~300 bytes) nor its base32 string (cached by multiformats in a Map per CID,
 * ~1.7 KB) is kept per file: at 200,000 shared files they were most of the node's heap.
 */
function keyOf (cid: CID | Uint8Array | string): string {
  if (typeof cid === 'string') return cid
  const b = cid instanceof Uint8Array ? cid : cid.bytes
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}

/** The file id of a key, made when it is provided or withdrawn. */
function cidOf (key: string): CID {
  return CID.decode(Buffer.from(key, 'latin1'))
}

/** An id provided (and touched): a constant, not an object per id (~80 bytes each). */
const PROVIDED = 1

interface Entry {
  state: 'queued' | 'running' | 'provided' | 'retrying'
  attempts: number
  /** provide() ran at least once: kad-dht holds a local record to withdraw. */
  touched: boolean
  /** When it was first queued (Date.now()). */
  since: number
  timer?: ReturnType<typeof setTimeout>
  controller?: AbortController
}

/**
 * Keeps the DHT's provider records in step with what is shared: every file id of the source
 * is provided (a queue, PROVIDE_CONCURRENCY at a time, retried with backoff while no peer takes
 * it); an id that leaves the source is withdrawn. Call sync() whenever the source changed: it
 * diffs by file id, so two names of one file, or a rename, cost nothing.
 *
 * Refreshing is kad-dht's own reprovider: provide() stores our record in the libp2p datastore
 * and kad-dht re-provides every such record REPROVIDE_THRESHOLD before it expires, checking
 * every REPROVIDE_INTERVAL. withdraw() (kad-dht cancelReprovide) deletes that record, which
 * stops both the refresh and our own answers; copies on other peers expire after
 * PROVIDE_VALIDITY.
 */
export class ProvideUpkeep {
  /** The ids begun on, by key: running, waiting to retry, or provided. An id not begun on has
   * no state of its own: it is in the rest of `pass`. A map and a queue of every file id were
   * 9 MB at 200,000 shared files, before the first provide ran. */
  private readonly entries = new Map<string, Entry | typeof PROVIDED>()
  /** Ids queued again to retry. */
  private readonly queue: string[] = []
  /** The source's ids not looked at yet since the last sync, and the next of them not begun on. */
  private pass?: Iterator<string>
  private next?: string
  /** When the oldest id `pass` may still hold was queued (a sync: see deferred()). */
  private passSince = 0
  private diffed = false
  private readonly withdrawing = new Map<string, Promise<void>>()
  private readonly jobs = new Set<Promise<void>>()
  private readonly idleWaiters: Array<() => void> = []
  private readonly counts = { withdrawn: 0, failures: 0, messages: 0, lastError: undefined as string | undefined }
  private readonly concurrency: number
  private readonly timeout: number
  private readonly retryMin: number
  private readonly retryMax: number
  private readonly deferMax: number
  private pumpLater?: ReturnType<typeof setTimeout>
  private running = 0
  private started = false
  private stopped = false
  private syncScheduled = false
  private readonly shutdown = new AbortController()

  constructor (private readonly records: ProviderRecords, private readonly source: FileIdSource, private readonly init: ProvideUpkeepInit = {}) {
    this.concurrency = init.concurrency ?? PROVIDE_CONCURRENCY
    this.timeout = init.timeout ?? PROVIDE_TIMEOUT
    this.retryMin = init.retryMin ?? PROVIDE_RETRY_MIN
    this.retryMax = init.retryMax ?? PROVIDE_RETRY_MAX
    this.deferMax = init.deferMax ?? PROVIDE_DEFER_MAX
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.sync()
  }

  /** Re-read the source soon (calls in one tick are merged). */
  sync (): void {
    if (!this.started || this.stopped || this.syncScheduled) return
    this.syncScheduled = true
    queueMicrotask(() => {
      this.syncScheduled = false
      if (!this.stopped) this.diff()
    })
  }

  /** Resolves when nothing is queued or running (retries may still be pending). */
  async settled (signal: AbortSignal): Promise<void> {
    if (!this.pending() && this.running === 0 && !this.syncScheduled) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(new ProvideError('provide upkeep did not settle in time')) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.idleWaiters.push(() => { signal.removeEventListener('abort', onAbort); resolve() })
    })
  }

  stats (): ProvideUpkeepStats {
    // ids not begun on (entries may hold ids gone since the last sync: not below zero)
    const waiting = this.diffed ? Math.max(0, this.current().count - this.entries.size) : 0
    const stats: ProvideUpkeepStats = {
      files: this.entries.size + waiting,
      provided: 0,
      queued: waiting,
      running: 0,
      retrying: 0,
      withdrawn: this.counts.withdrawn,
      failures: this.counts.failures,
      messages: this.counts.messages,
      lastError: this.counts.lastError
    }
    for (const e of this.entries.values()) {
      if (e === PROVIDED || e.state === 'provided') stats.provided++
      else if (e.state === 'queued') stats.queued++
      else if (e.state === 'running') stats.running++
      else stats.retrying++
    }
    return stats
  }

  /** Stop providing new ids; records already provided stay (and kad-dht stops with the host). */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.shutdown.abort()
    clearTimeout(this.pumpLater)
    for (const e of this.entries.values()) if (e !== PROVIDED) clearTimeout(e.timer)
    this.queue.length = 0
    this.pass = this.next = undefined
    await Promise.allSettled([...this.jobs, ...this.withdrawing.values()])
    this.notifyIdle()
  }

  /** Withdraw what left the source; what came is found by a new pass over it (the ids begun
   * on are skipped). */
  private diff (): void {
    if (this.entries.size > 0) {
      const current = this.current()
      // a Map's iterator is safe while the entry it is at is deleted
      for (const key of this.entries.keys()) if (!current.has(key)) this.remove(key)
    }
    // ids the last pass had not reached keep the time they were queued
    if (this.pass == null) this.passSince = Date.now()
    this.pass = this.keys()
    this.next = undefined
    this.diffed = true
    this.pump()
    this.notifyIdle()
  }

  private * keys (): Generator<string> {
    for (const cid of this.source.fileIds()) yield keyOf(cid)
  }

  /** The source's has() and count(), or a set of its ids made now (a source without them). */
  private current (): { has: (key: string) => boolean, count: number } {
    const { has, count } = this.source
    if (has != null && count != null) return { has, count: count() }
    const set = new Set(this.keys())
    return { has: key => set.has(key), count: set.size }
  }

  /** The next id of the pass not begun on (kept until taken), if any. */
  private peek (): string | undefined {
    while (this.next == null && this.pass != null) {
      const r = this.pass.next()
      if (r.done === true) this.pass = undefined
      else if (!this.entries.has(r.value)) this.next = r.value
    }
    return this.next
  }

  /** Ids waiting for a provide: retries, or the rest of the pass. */
  private pending (): boolean {
    return this.queue.length > 0 || this.peek() != null
  }

  /** The next id to provide and its entry (made now for an id of the pass). */
  private take (): [string, Entry] | undefined {
    while (this.queue.length > 0) {
      const key = this.queue.shift() as string
      const entry = this.entries.get(key)
      // a retry withdrawn meanwhile
      if (entry != null && entry !== PROVIDED && entry.state === 'queued') return [key, entry]
    }
    const key = this.peek()
    if (key == null) return undefined
    this.next = undefined
    const entry: Entry = { state: 'queued', attempts: 0, touched: false, since: this.passSince }
    this.entries.set(key, entry)
    return [key, entry]
  }

  private remove (key: string): void {
    const entry = this.entries.get(key)
    if (entry == null) return
    this.entries.delete(key)
    this.counts.withdrawn++
    if (entry === PROVIDED) {
      this.withdraw(key)
      return
    }
    clearTimeout(entry.timer)
    if (entry.state === 'running') {
      entry.controller?.abort() // run() withdraws once provide() has let go
    } else if (entry.touched) {
      this.withdraw(key)
    }
  }

  private withdraw (key: string): void {
    const previous = this.withdrawing.get(key) ?? Promise.resolve()
    const p: Promise<void> = previous
      .then(async () => { await this.records.withdraw(cidOf(key), { signal: AbortSignal.timeout(this.timeout) }) })
      .catch((err: any) => { log.error('withdrawing %s failed: %s', cidOf(key), err.message) })
      .finally(() => { if (this.withdrawing.get(key) === p) this.withdrawing.delete(key) })
    this.withdrawing.set(key, p)
  }

  private pump (): void {
    if (this.deferred()) return
    while (!this.stopped && this.running < this.concurrency) {
      const next = this.take()
      if (next == null) break
      const [key, entry] = next
      const job = this.run(key, entry)
      this.jobs.add(job)
      void job.finally(() => { this.jobs.delete(job) })
    }
  }

  private async run (key: string, entry: Entry): Promise<void> {
    entry.state = 'running'
    entry.controller = new AbortController()
    this.running++
    const signal = AbortSignal.any([entry.controller.signal, this.shutdown.signal])
    try {
      await this.whenReady(signal)
      await this.withdrawing.get(key)
      signal.throwIfAborted()
      entry.touched = true
      const result = await this.records.provide(cidOf(key), AbortSignal.any([signal, AbortSignal.timeout(this.timeout)]))
      this.counts.messages += result.messages
      entry.state = 'provided'
      entry.attempts = 0
      if (log.enabled) log('provided %s to %d peers in %d ms', cidOf(key), result.peers, result.ms)
    } catch (err: any) {
      if (this.entries.get(key) === entry && !this.stopped) {
        this.counts.failures++
        this.counts.lastError = err.message
        this.retryLater(key, entry)
      }
    } finally {
      entry.controller = undefined
      this.running--
      if (this.entries.get(key) !== entry) {
        if (entry.touched) this.withdraw(key)
      } else if (entry.state === 'provided') {
        this.entries.set(key, PROVIDED)
      }
      this.pump()
      this.notifyIdle()
    }
  }

  /** True while provides wait for the node to be idle (a pump is then set for later): the
   * DHT's work does not take the CPU a download needs, and is not lost either. */
  private deferred (): boolean {
    const { busy } = this.init
    if (busy == null || this.stopped || !this.pending() || !busy()) return false
    const head = this.queue.length > 0 ? this.entries.get(this.queue[0]) : undefined
    const since = head == null || head === PROVIDED ? this.passSince : head.since
    if (Date.now() - since >= this.deferMax) return false
    this.pumpLater ??= setTimeout(() => {
      this.pumpLater = undefined
      this.pump()
    }, PROVIDE_READY_POLL)
    this.pumpLater.unref?.()
    return true
  }

  private retryLater (key: string, entry: Entry): void {
    const delay = Math.min(this.retryMax, this.retryMin * 2 ** entry.attempts)
    entry.attempts++
    entry.state = 'retrying'
    if (log.enabled) log('provide of %s failed (%s); retry in %d ms', cidOf(key), this.counts.lastError, delay)
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      if (this.entries.get(key) !== entry || this.stopped) return
      entry.state = 'queued'
      this.queue.push(key)
      this.pump()
    }, delay)
    entry.timer.unref?.()
  }

  /** Queries wait for a routing table peer: wait here instead, holding no query open. */
  private async whenReady (signal: AbortSignal): Promise<void> {
    while (this.records.peers === 0) {
      signal.throwIfAborted()
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, PROVIDE_READY_POLL)
        signal.addEventListener('abort', done, { once: true })
        function done (): void {
          clearTimeout(timer)
          signal.removeEventListener('abort', done)
          resolve()
        }
      })
    }
  }

  private notifyIdle (): void {
    if (this.running > 0 || this.pending()) return
    for (const fn of this.idleWaiters.splice(0)) fn()
  }
}
