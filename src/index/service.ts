import { logger as createLogger } from '@libp2p/logger'
import { INDEX_PROTOCOL } from '../wire/constants.js'
import {
  CLOSE_TIMEOUT, COLLECT_CHUNK, DEFAULT_PAGE_SIZE, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PAGE_SIZE, RESPONSE_TIMEOUT,
  STREAM_IDLE_TIMEOUT, SWEEP_INTERVAL
} from './constants.js'
import { NotStartedError } from './errors.js'
import { serveStream } from './session.js'
import { IndexStore } from './store.js'
import type { HandlerContext, QueryObserver } from './rpc.js'
import type {
  ComponentLogger, Connection, Libp2p, Libp2pEvents, Logger, PeerId, Startable, Stream, StreamHandler,
  StreamHandlerOptions, TypedEventTarget
} from '@libp2p/interface'

export interface CoordinatorInit {
  /** Directory of the index database (`<dataDir>/index.db`); ignored when `store` is given. */
  dataDir?: string
  /** A ready store (tests, an in-memory index). The service does not close it. */
  store?: IndexStore
  /** Entries of a disconnected provider stay listed this long. @default OFFLINE_GRACE */
  graceMs?: number
  /** How often offline providers past the grace are dropped. @default SWEEP_INTERVAL */
  sweepInterval?: number
  /** Rows of an earlier snapshot are collected this long after it started. @default STALE_SETTLE */
  staleSettleMs?: number
  /** Entries one peer may have. @default MAX_ENTRIES_PER_PEER */
  maxEntriesPerPeer?: number
  /** Index streams one connection may open at a time. @default MAX_INBOUND_STREAMS */
  maxInboundStreams?: number
  /** @default MAX_OUTBOUND_STREAMS */
  maxOutboundStreams?: number
  /** A stream with no request for this long is aborted. @default STREAM_IDLE_TIMEOUT */
  idleTimeout?: number
  /** Time to write one response. @default RESPONSE_TIMEOUT */
  responseTimeout?: number
  /** LIST/SEARCH page size when a request names none. @default DEFAULT_PAGE_SIZE */
  defaultPageSize?: number
  /** The largest page a request may ask for. @default MAX_PAGE_SIZE */
  maxPageSize?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
  /** Only these peers may announce and withdraw (others get FORBIDDEN); every peer on the
   * network may still list, search and look up. @default every peer */
  allowPeers?: string[]
  /** Told of each request served (the coordinator's Prometheus metrics). */
  observe?: QueryObserver
}

/** The libp2p internals the coordinator needs, and nothing else. */
export interface CoordinatorComponents {
  registrar: {
    handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
  events: Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'>
  connectionManager: { getConnections: (peerId?: PeerId) => Connection[] }
  logger?: ComponentLogger
}

export interface Coordinator extends Startable {
  /** The open index (after start). */
  readonly store: IndexStore
  /** Expire providers offline past the grace and collect stale rows now (the sweeper does it
   * periodically). */
  sweep: () => Promise<SweepResult>
}

export interface SweepResult {
  /** Providers expired and their entries. */
  providers: number
  entries: number
  /** Stale rows deleted. */
  collected: number
}

/**
 * The coordinator: serves `/fileshare/index/1.0.0` from an IndexStore, keyed by the
 * authenticated remote peer, and tracks which providers are connected.
 */
export class CoordinatorService implements Coordinator {
  private readonly components: CoordinatorComponents
  private readonly init: CoordinatorInit
  private readonly log: Logger
  private readonly sweepInterval: number
  private readonly allowPeers?: ReadonlySet<string>
  private readonly streams = new Set<Stream>()
  private shutdown = new AbortController()
  private sweeper?: ReturnType<typeof setInterval>
  private _store?: IndexStore
  private running = false
  private sweeping = false

  constructor (components: CoordinatorComponents, init: CoordinatorInit = {}) {
    this.components = components
    this.init = init
    this.log = components.logger?.forComponent('fsnode:index') ?? createLogger('fsnode:index')
    this.sweepInterval = init.sweepInterval ?? SWEEP_INTERVAL
    this.allowPeers = init.allowPeers == null ? undefined : new Set(init.allowPeers)
  }

  get store (): IndexStore {
    if (this._store == null) throw new NotStartedError('the coordinator is not started')
    return this._store
  }

  isStarted (): boolean {
    return this.running
  }

  async start (): Promise<void> {
    if (this.running) return
    if (this.init.store == null && this.init.dataDir == null) throw new TypeError('coordinator: dataDir or store is required')
    const store = this.init.store ?? IndexStore.open(this.init.dataDir as string, {
      graceMs: this.init.graceMs, maxEntriesPerPeer: this.init.maxEntriesPerPeer, staleSettleMs: this.init.staleSettleMs, now: this.init.now
    })
    this._store = store
    // nobody has reconnected yet: the persisted index is served for one grace period
    store.markAllOffline()
    for (const conn of this.components.connectionManager.getConnections()) store.setOnline(conn.remotePeer.toString())
    this.shutdown = new AbortController()
    this.components.events.addEventListener('peer:connect', this.onConnect)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    await this.components.registrar.handle(INDEX_PROTOCOL, this.onStream, {
      maxInboundStreams: this.init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: this.init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    })
    this.sweeper = setInterval(() => { void this.sweep() }, this.sweepInterval)
    this.sweeper.unref()
    this.running = true
    const s = store.stats()
    this.log('coordinator started: %d providers, %d entries', s.providers, s.entries)
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.sweeper)
    this.components.events.removeEventListener('peer:connect', this.onConnect)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    try {
      await this.components.registrar.unhandle(INDEX_PROTOCOL)
    } catch (err: any) {
      this.log('unhandle failed: %s', err.message)
    }
    this.shutdown.abort()
    for (const stream of this.streams) stream.abort(new NotStartedError('the coordinator is stopping'))
    this.streams.clear()
    if (this.init.store == null) this._store?.close()
    this._store = undefined
  }

  /**
   * Mark providers that are no longer connected offline, expire those past the grace, and
   * delete stale rows in chunks, yielding between them so requests are served meanwhile.
   */
  async sweep (): Promise<SweepResult> {
    const result: SweepResult = { providers: 0, entries: 0, collected: 0 }
    if (this.sweeping || this._store == null) return result
    this.sweeping = true
    try {
      const store = this._store
      // a request still in flight when its peer disconnected may have marked it online again
      const connected = new Set(this.components.connectionManager.getConnections()
        .filter(c => c.status === 'open').map(c => c.remotePeer.toString()))
      for (const peer of store.onlinePeers()) {
        if (!connected.has(peer)) store.setOffline(peer)
      }
      Object.assign(result, store.expire())
      while (this._store === store) {
        const n = store.collect(COLLECT_CHUNK)
        result.collected += n
        if (n < COLLECT_CHUNK) break
        await new Promise(resolve => setImmediate(resolve))
      }
      if (result.providers > 0 || result.collected > 0) {
        this.log('expired %d providers (%d entries), collected %d stale rows', result.providers, result.entries, result.collected)
      }
    } catch (err: any) {
      this.log.error('sweep failed: %e', err)
    } finally {
      this.sweeping = false
    }
    return result
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    try { this._store?.setOnline(evt.detail.toString()) } catch (err: any) { this.log.error('setOnline: %e', err) }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    try { this._store?.setOffline(evt.detail.toString()) } catch (err: any) { this.log.error('setOffline: %e', err) }
  }

  private readonly onStream = (stream: Stream, connection: Connection): void => {
    const store = this._store
    if (store == null) { stream.abort(new NotStartedError('the coordinator is stopped')); return }
    const ctx: HandlerContext = {
      store,
      peerId: connection.remotePeer.toString(),
      defaultPageSize: this.init.defaultPageSize ?? DEFAULT_PAGE_SIZE,
      maxPageSize: this.init.maxPageSize ?? MAX_PAGE_SIZE,
      log: this.log,
      allowPeers: this.allowPeers,
      observe: this.init.observe
    }
    this.streams.add(stream)
    // serveStream never rejects; the catch is a last guard against an unhandled rejection
    serveStream(stream, ctx, {
      idleTimeout: this.init.idleTimeout ?? STREAM_IDLE_TIMEOUT,
      responseTimeout: this.init.responseTimeout ?? RESPONSE_TIMEOUT,
      closeTimeout: CLOSE_TIMEOUT,
      shutdown: this.shutdown.signal
    }).catch(err => { this.log.error('index stream: %e', err) })
      .finally(() => this.streams.delete(stream))
  }
}

/** The service factory for `createLibp2p({ services: { index: coordinator({ dataDir }) } })`. */
export function coordinator (init: CoordinatorInit = {}): (components: CoordinatorComponents) => Coordinator {
  return (components) => new CoordinatorService(components, init)
}

/** A coordinator on an existing node (call start() after the node started). */
export function createCoordinator (node: Libp2p, init: CoordinatorInit = {}): CoordinatorService {
  return new CoordinatorService({
    registrar: { handle: async (p, h, o) => { await node.handle(p, h, o) }, unhandle: async p => { await node.unhandle(p) } },
    events: node,
    connectionManager: { getConnections: (peerId) => node.getConnections(peerId) },
    logger: node.logger
  }, init)
}
