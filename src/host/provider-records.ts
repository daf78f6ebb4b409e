import { setTimeout as delay } from 'node:timers/promises'
import { logger } from '@libp2p/logger'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { FIND_PROVIDERS_LIMIT, LOOKUP_GROW_WAIT, LOOKUP_MIN_PEERS, LOOKUP_OFFERED_WAIT, LOOKUP_RETRY_DELAY, LOOKUP_WALKS } from './constants.js'

const log = logger('fsnode:host:dht')
export class ProvideError extends Error {
  static readonly code = 'ProvideError'
  override name = 'ProvideError'
}

export class DhtDisabledError extends Error {
  static readonly code = 'DhtDisabledError'
  override name = 'DhtDisabledError'
}

/** ProviderRecords of a host created with `dht` on. */
export function providerRecords (host: { peerId: PeerId, services: { dht?: KadDHT } }): ProviderRecords {
  if (host.services.dht == null) throw new DhtDisabledError('this node runs no DHT (createHost without dht)')
  return new ProviderRecords(host.services.dht, host.peerId)
}

/** What ProviderRecords needs of the DHT. */
export type ProviderDht = Pick<KadDHT, 'provide' | 'findProviders' | 'cancelReprovide'> & {
  /** The kad-dht instance has it: queries wait while it is empty. */
  routingTable?: { size: number } & Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>
}

export interface DhtProvider {
  peerId: PeerId
  addrs: Multiaddr[]
}

export interface ProvideResult {
  /** Peers that took the record. */
  peers: number
  /** DHT requests sent (the closest-peers walk plus the ADD_PROVIDER messages). */
  messages: number
  ms: number
}

export interface FindProvidersOptions {
  signal: AbortSignal
  /** Stop after this many providers (default FIND_PROVIDERS_LIMIT). */
  limit?: number
  /** Return this node when it provides the id itself (default false). */
  includeSelf?: boolean
}

export interface ProviderRecordStats {
  provides: number
  provideMessages: number
  lookups: number
  lookupMessages: number
}

/** Provider records for file ids on the DHT: announce, look up, withdraw. */
export class ProviderRecords {
  private readonly counts: ProviderRecordStats = { provides: 0, provideMessages: 0, lookups: 0, lookupMessages: 0 }

  constructor (private readonly dht: ProviderDht, private readonly self: PeerId) {}

  /** Peers in the routing table; 0 means a query would only wait. */
  get peers (): number {
    return this.dht.routingTable?.size ?? 0
  }

  /**
   * Store a record "this node provides `cid`" on the peers closest to it. Resolves once at
   * least one peer took it (or the walk ended); a ProvideError when none did. kad-dht also
   * keeps the record in its datastore and re-provides it before it expires until withdraw().
   */
  async provide (cid: CID, signal: AbortSignal): Promise<ProvideResult> {
    const started = Date.now()
    let peers = 0
    let messages = 0
    try {
      for await (const event of this.dht.provide(cid, { signal })) {
        if (event.name === 'SEND_QUERY') messages++
        else if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') peers++
      }
    } catch (err: any) {
      if (peers === 0) throw new ProvideError(`could not provide ${cid.toString()}: ${signal.aborted ? 'timed out' : err.message}`)
    } finally {
      this.counts.provides++
      this.counts.provideMessages += messages
    }
    if (peers === 0) throw new ProvideError(`could not provide ${cid.toString()}: no peer took the record`)
    return { peers, messages, ms: Date.now() - started }
  }

  /**
   * Stop re-providing `cid` and stop answering for it ourselves. Kademlia has no withdraw
   * message: copies on other peers expire on their own (PROVIDE_VALIDITY).
   */
  async withdraw (cid: CID, options?: AbortOptions): Promise<void> {
    await this.dht.cancelReprovide(cid, options)
  }

  /**
   * Providers of `cid` as the DHT finds them, without duplicates. Ends after `limit`, when the
   * walk is over, or when the signal fires (no error: the caller has what was found so far).
   */
  async * streamProviders (cid: CID, options: FindProvidersOptions): AsyncGenerator<DhtProvider> {
    const limit = options.limit ?? FIND_PROVIDERS_LIMIT
    const stop = new AbortController()
    const signal = AbortSignal.any([options.signal, stop.signal])
    const seen = new Set<string>()
    let messages = 0
    this.counts.lookups++
    try {
      await this.untilPeers(signal)
      // a walk that found nothing is walked again, a few times while the signal allows, when
      // another could go further: every query failed (a fresh client's one peer reset the
      // stream under load), or it asked fewer than LOOKUP_MIN_PEERS peers (a fresh client starts
      // from its one bootstrap peer, whose answer holds only peers closer to the id than that
      // peer: when none is, the walk ends there) or the routing table grew during it, and the
      // table has grown since, as the DHT's own lookups meet the network (longer when the
      // answers named peers that the walk skipped: kad-dht is adding those to the table)
      for (let walk = 1; ; walk++) {
        const tableBefore = this.peers
        let queried = 0
        let answered = 0
        let failed = 0
        const asked = new Set<string>()
        const offered = new Set<string>()
        for await (const event of this.dht.findProviders(cid, { signal })) {
          if (event.name === 'SEND_QUERY') { messages++; queried++; asked.add(event.to.toString()) } else if (event.name === 'QUERY_ERROR') failed++
          else if (event.name === 'PEER_RESPONSE') {
            answered++
            for (const p of event.closer) if (!p.id.equals(this.self)) offered.add(p.id.toString())
          }
          if (event.name !== 'PROVIDER') continue
          for (const info of event.providers) {
            const key = info.id.toString()
            if (seen.has(key) || (options.includeSelf !== true && info.id.equals(this.self))) continue
            seen.add(key)
            yield { peerId: info.id, addrs: info.multiaddrs }
            if (seen.size >= limit) return
          }
        }
        if (seen.size > 0 || walk >= LOOKUP_WALKS) return
        if (answered === 0 && failed > 0) {
          log('lookup of %s: all %d queries failed, walking again', cid, failed)
          await delay(LOOKUP_RETRY_DELAY * walk, undefined, { signal })
        } else if (queried < LOOKUP_MIN_PEERS || this.peers > tableBefore) {
          const skipped = [...offered].filter(p => !asked.has(p)).length
          const wait = queried < LOOKUP_MIN_PEERS && skipped > 0 ? LOOKUP_OFFERED_WAIT : LOOKUP_GROW_WAIT * walk
          if (!await this.tableGrows(tableBefore, wait, signal)) return
          log('lookup of %s found nothing asking %d peers (%d more named); routing table %d -> %d, walking again', cid, queried, skipped, tableBefore, this.peers)
        } else {
          return
        }
      }
    } catch (err: any) {
      if (!signal.aborted) throw err
      log('lookup of %s stopped by its signal after %d providers', cid, seen.size)
    } finally {
      stop.abort()
      this.counts.lookupMessages += messages
    }
  }

  /**
   * Resolves once the routing table holds a peer. kad-dht waits so itself, except in client mode
   * (dht.ts: allowQueryWithZeroPeers, where an empty table would end the walk at once).
   */
  private async untilPeers (signal: AbortSignal): Promise<void> {
    const table = this.dht.routingTable
    if (table == null || table.size > 0 || table.addEventListener == null) return
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        table.removeEventListener?.('peer:add', done)
        signal.removeEventListener('abort', done)
        if (signal.aborted) reject(signal.reason)
        else resolve()
      }
      table.addEventListener?.('peer:add', done)
      signal.addEventListener('abort', done)
    })
  }

  /** True once the routing table holds more than `size` peers, false after `ms` without. */
  private async tableGrows (size: number, ms: number, signal: AbortSignal): Promise<boolean> {
    const table = this.dht.routingTable
    if (table == null) return false
    if (table.size > size) return true
    if (table.addEventListener == null) return false
    signal.throwIfAborted()
    return await new Promise<boolean>((resolve, reject) => {
      const done = (): void => {
        if (table.size <= size && !signal.aborted && Date.now() < until) return
        clearTimeout(timer)
        table.removeEventListener?.('peer:add', done)
        signal.removeEventListener('abort', done)
        if (signal.aborted) reject(signal.reason)
        else resolve(table.size > size)
      }
      const until = Date.now() + ms
      const timer = setTimeout(done, ms)
      table.addEventListener?.('peer:add', done)
      signal.addEventListener('abort', done)
    })
  }

  /** All of streamProviders at once. */
  async findProviders (cid: CID, options: FindProvidersOptions): Promise<DhtProvider[]> {
    const out: DhtProvider[] = []
    for await (const p of this.streamProviders(cid, options)) out.push(p)
    return out
  }

  stats (): ProviderRecordStats {
    return { ...this.counts }
  }
}

/** The file ids this node shares now (e.g. ShareIndex.files().map(f => f.fileId)). */
