import { logger } from '@libp2p/logger'
import { CID } from 'multiformats/cid'
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import type { ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import { PROVIDE_CONCURRENCY, PROVIDE_DEFER_MAX, PROVIDE_READY_POLL, PROVIDE_RETRY_MAX, PROVIDE_RETRY_MIN, PROVIDE_SYNC_DELAY, PROVIDE_TIMEOUT } from './constants.js'
import { DhtDisabledError, ProvideError, ProviderRecords } from './provider-records.js'
import type { ProviderDht } from './provider-records.js'

const log = logger('fsnode:host:dht:upkeep')

export interface FileIdSource {
  /** The file ids to provide: CIDs, their bytes, or their bytes as a one-byte ('latin1')
   * string, the upkeep's own key (a share of 200,000 files gives those: no CID and no new
   * string per file is made to diff them). */
  fileIds: () => Iterable<CID | Uint8Array | string>
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
  /** By file id key: an Entry, or only when it was queued (Date.now(), shared by a whole sync)
   * while it has never run: an object per file id was 14 MB at 200,000 shared files, almost
   * all waiting in the queue. */
  private readonly entries = new Map<string, Entry | number>()
  private readonly queue: string[] = []
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
    if (this.queue.length === 0 && this.running === 0 && !this.syncScheduled) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(new ProvideError('provide upkeep did not settle in time')) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.idleWaiters.push(() => { signal.removeEventListener('abort', onAbort); resolve() })
    })
  }

  stats (): ProvideUpkeepStats {
    const stats: ProvideUpkeepStats = {
      files: this.entries.size,
      provided: 0,
      queued: 0,
      running: 0,
      retrying: 0,
      withdrawn: this.counts.withdrawn,
      failures: this.counts.failures,
      messages: this.counts.messages,
      lastError: this.counts.lastError
    }
    for (const e of this.entries.values()) {
      if (typeof e === 'number') stats.queued++
      else if (e.state === 'provided') stats.provided++
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
    for (const e of this.entries.values()) if (typeof e !== 'number') clearTimeout(e.timer)
    this.queue.length = 0
    await Promise.allSettled([...this.jobs, ...this.withdrawing.values()])
    this.notifyIdle()
  }

  private diff (): void {
    const now = Date.now()
    // nothing to withdraw (the first sync): no set of every file id beside the map being made
    const current = this.entries.size === 0 ? undefined : new Set<string>()
    const keys = current ?? this.keys()
    if (current != null) {
      for (const key of this.keys()) current.add(key)
      for (const key of [...this.entries.keys()]) {
        if (!current.has(key)) this.remove(key)
      }
    }
    for (const key of keys) {
      if (this.entries.has(key)) continue
      this.entries.set(key, now)
      this.queue.push(key)
    }
    this.pump()
    this.notifyIdle()
  }

  private * keys (): Generator<string> {
    for (const cid of this.source.fileIds()) yield keyOf(cid)
  }

  private remove (key: string): void {
    const entry = this.entries.get(key)
    if (entry == null) return
    this.entries.delete(key)
    this.counts.withdrawn++
    if (typeof entry === 'number') return // never provided: nothing to withdraw
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
    while (!this.stopped && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string
      let entry = this.entries.get(key)
      if (typeof entry === 'number') this.entries.set(key, entry = { state: 'queued', attempts: 0, touched: false, since: entry })
      if (entry?.state !== 'queued') continue
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
      if (this.entries.get(key) !== entry && entry.touched) this.withdraw(key)
      this.pump()
      this.notifyIdle()
    }
  }

  /** True while provides wait for the node to be idle (a pump is then set for later): the
   * DHT's work does not take the CPU a download needs, and is not lost either. */
  private deferred (): boolean {
    const { busy } = this.init
    if (busy == null || this.stopped || this.queue.length === 0 || !busy()) return false
    const head = this.entries.get(this.queue[0])
    if (head == null || Date.now() - (typeof head === 'number' ? head : head.since) >= this.deferMax) return false
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
    if (this.queue.length > 0 || this.running > 0) return
    for (const fn of this.idleWaiters.splice(0)) fn()
  }
}

/** What the provide upkeep service needs of libp2p: the DHT service (registered before it). */
export interface ProvideUpkeepComponents {
  /** Missing: the node runs no DHT, and the service does not start. */
  dht?: ProviderDht
  peerId: PeerId
  logger: ComponentLogger
}

export interface ProvideUpkeepServiceInit extends ProvideUpkeepInit {
  /** The file ids to keep provided. */
  source: FileIdSource
  /** Sends 'change' when the file ids may have changed (the share index does). */
  changes?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  /** Changes are collected this long before a diff; the first diff waits as long after
   * start. @default PROVIDE_SYNC_DELAY */
  syncDelay?: number
}

/**
 * ProvideUpkeep as a libp2p service: started with the node, it diffs the source
 * PROVIDE_SYNC_DELAY later and after each burst of changes; stopped with the node.
 */
export class ProvideUpkeepService implements Startable {
  readonly [Symbol.toStringTag] = 'fsnode:provide-upkeep'
  readonly [serviceCapabilities] = ['@fsnode/provide-upkeep']
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  private readonly log: Logger
  private readonly syncDelay: number
  private upkeep?: ProvideUpkeep
  private timer?: ReturnType<typeof setTimeout>

  constructor (private readonly components: ProvideUpkeepComponents, private readonly init: ProvideUpkeepServiceInit) {
    this.log = components.logger.forComponent('fsnode:host:dht:upkeep')
    this.syncDelay = init.syncDelay ?? PROVIDE_SYNC_DELAY
  }

  isStarted (): boolean {
    return this.upkeep != null
  }

  start (): void {
    if (this.upkeep != null) return
    const { dht, peerId } = this.components
    if (dht == null) throw new DhtDisabledError('the provide upkeep needs the DHT service (createHost with dht)')
    this.upkeep = new ProvideUpkeep(new ProviderRecords(dht, peerId), this.init.source, this.init)
    this.init.changes?.addEventListener('change', this.onChange)
    this.onChange()
  }

  async stop (): Promise<void> {
    const upkeep = this.upkeep
    if (upkeep == null) return
    this.upkeep = undefined
    this.init.changes?.removeEventListener('change', this.onChange)
    clearTimeout(this.timer)
    this.timer = undefined
    await upkeep.stop()
  }

  stats (): ProvideUpkeepStats | undefined {
    return this.upkeep?.stats()
  }

  private readonly onChange = (): void => {
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.log.trace('file ids changed: diffing')
      // the first call starts providing; later ones diff again
      this.upkeep?.start()
      this.upkeep?.sync()
    }, this.syncDelay)
    this.timer.unref?.()
  }
}

export function provideUpkeep (init: ProvideUpkeepServiceInit): (components: ProvideUpkeepComponents) => ProvideUpkeepService {
  return (components) => new ProvideUpkeepService(components, init)
}
