import { logger } from '@libp2p/logger'
import { RateLimiter } from '@libp2p/utils'
import { BaseDatastore } from 'datastore-core/base'
import { MountDatastore } from 'datastore-core/mount'
import { Key } from 'interface-datastore'
import * as varint from 'uint8-varint'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore, KeyQuery, Pair, Query } from 'interface-datastore'
import {
  MAX_PROVIDER_RECORDS, MAX_PROVIDER_RECORDS_PER_PEER, PROVIDE_VALIDITY, PROVIDER_KEY_PREFIX, PROVIDER_RATE_RECORDS,
  PROVIDER_RATE_RECORDS_TOTAL, PROVIDER_RATE_WINDOW
} from './constants.js'

const log = logger('fsnode:host:provider-store')

/** A datastore get of a record that is not there (kad-dht and libp2p test for this name). */
export class NotFoundError extends Error {
  static readonly code = 'NotFoundError'
  override name = 'NotFoundError'
}

/** A peer announced records faster than the rate limit: kad-dht resets its stream. */
export class ProviderRateError extends Error {
  static readonly code = 'ProviderRateError'
  override name = 'ProviderRateError'
}

export interface ProviderStoreLimits {
  /** Other peers' records kept in all (default MAX_PROVIDER_RECORDS). */
  maxRecords?: number
  /** Records kept per provider peer (default MAX_PROVIDER_RECORDS_PER_PEER). */
  maxPerPeer?: number
  /** A record older than this (ms) is gone (default PROVIDE_VALIDITY). */
  validity?: number
  /** Records one peer, and all peers together, may announce per `rateWindow` (ms); past it the
   * announce is refused (defaults PROVIDER_RATE_RECORDS(_TOTAL) per PROVIDER_RATE_WINDOW). */
  rateRecords?: number
  rateRecordsTotal?: number
  rateWindow?: number
}

export interface ProviderStoreInit extends ProviderStoreLimits {
  /** This node's peer id (string): its own records are kept whatever the limits. */
  self: string
}

export interface ProviderStoreStats {
  /** Other peers' records held now. */
  records: number
  /** Provider peers with at least one record. */
  peers: number
  /** This node's own records. */
  own: number
  /** Records dropped to make room, since start. */
  evicted: number
  /** Records dropped because they expired, since start. */
  expired: number
  /** Announces refused because their peer went past the rate limit, since start. */
  refused: number
}

interface Entry {
  key: string
  cid: string
  peer: string
  /** When the provider announced it (ms), as kad-dht wrote it in the value. */
  time: number
}

/**
 * Where kad-dht keeps provider records ("peer P provides cid C", key /dht/provider/<C>/<P>,
 * value the announce time as a varint), in memory and bounded. kad-dht 16 writes one datastore
 * entry per ADD_PROVIDER, never drops one before its hourly cleanup, and looks a cid up by a
 * prefix query that libp2p's memory datastore answers by walking every key: a flood of random
 * cids grew memory without end and slowed every GET_PROVIDERS. Here:
 * - one peer holds at most maxPerPeer records, all peers together maxRecords: past either the
 *   oldest record (of that peer, or of all) is dropped, so one peer's flood only replaces its own
 *   records (kad-dht's `providers` options, cacheSize and the like, are not used by version 16);
 * - a record older than `validity` is never returned, and is dropped on the next write or query;
 * - a lookup by cid reads an index, whatever the number of records;
 * - a peer announcing faster than rateRecords per rateWindow, or any peer while all together
 *   pass rateRecordsTotal, is refused: the put throws and kad-dht resets the stream before the
 *   rest of its work (a peer store update per message), which is most of what a flood costs:
 *   handling announces at full speed grows the heap far more than the records themselves.
 * This node's own records (which kad-dht re-provides from) are kept apart, outside the limits.
 */
export class ProviderStore extends BaseDatastore {
  private readonly self: string
  private readonly maxRecords: number
  private readonly maxPerPeer: number
  private readonly validity: number
  /** Others' records by key, oldest first (a refreshed record moves to the end). */
  private readonly aged = new Map<string, Entry>()
  /** Per provider peer: its records by key, oldest first. */
  private readonly byPeer = new Map<string, Map<string, Entry>>()
  /** Per cid: its records (own and others'); most cids have one provider, kept without an
   * array (a flood of random cids makes this the biggest map). */
  private readonly byCid = new Map<string, Entry | Entry[]>()
  private readonly own = new Map<string, Entry>()
  private readonly rate: RateLimiter
  private readonly rateTotal: RateLimiter
  private evicted = 0
  private expired = 0
  private refused = 0

  constructor (init: ProviderStoreInit) {
    super()
    this.self = init.self
    this.maxRecords = Math.max(1, init.maxRecords ?? MAX_PROVIDER_RECORDS)
    this.maxPerPeer = Math.max(1, init.maxPerPeer ?? MAX_PROVIDER_RECORDS_PER_PEER)
    this.validity = init.validity ?? PROVIDE_VALIDITY
    const duration = (init.rateWindow ?? PROVIDER_RATE_WINDOW) / 1000
    this.rate = new RateLimiter({ points: init.rateRecords ?? PROVIDER_RATE_RECORDS, duration })
    this.rateTotal = new RateLimiter({ points: init.rateRecordsTotal ?? PROVIDER_RATE_RECORDS_TOTAL, duration })
  }

  stats (): ProviderStoreStats {
    return { records: this.aged.size, peers: this.byPeer.size, own: this.own.size, evicted: this.evicted, expired: this.expired, refused: this.refused }
  }

  override put (key: Key, value: Uint8Array, options?: AbortOptions): Key {
    options?.signal?.throwIfAborted()
    const parsed = parseKey(key.toString())
    const time = Number(varint.decode(value))
    if (parsed.peer !== this.self) this.limit(parsed.peer)
    this.remove(parsed.key)
    this.dropExpired()
    if (parsed.peer === this.self) {
      this.insert({ ...parsed, time })
      return key
    }
    const mine = this.byPeer.get(parsed.peer)
    if (mine != null && mine.size >= this.maxPerPeer) this.evict(first(mine))
    if (this.aged.size >= this.maxRecords) this.evict(first(this.aged))
    this.insert({ ...parsed, time })
    return key
  }

  private limit (peer: string): void {
    try {
      this.rate.consume(peer)
      this.rateTotal.consume('all')
    } catch (err: any) {
      if (err.name !== 'RateLimitError') throw err
      this.refused++
      log('%s announces too fast: refused', peer)
      throw new ProviderRateError(`provider ${peer} announced more than the rate limit allows`)
    }
  }

  override get (key: Key, options?: AbortOptions): Uint8Array {
    options?.signal?.throwIfAborted()
    const entry = this.find(key.toString())
    if (entry == null) throw new NotFoundError(`no provider record ${key.toString()}`)
    return varint.encode(entry.time)
  }

  override has (key: Key, options?: AbortOptions): boolean {
    options?.signal?.throwIfAborted()
    return this.find(key.toString()) != null
  }

  override delete (key: Key, options?: AbortOptions): void {
    options?.signal?.throwIfAborted()
    this.remove(key.toString())
  }

  /** Only the records the prefix can match: a cid's few when it names one (kad-dht's lookup). */
  override * _all (q: Query, options?: AbortOptions): Generator<Pair> {
    for (const entry of this.matching(q.prefix)) {
      options?.signal?.throwIfAborted()
      yield { key: new Key(entry.key, false), value: varint.encode(entry.time) }
    }
  }

  override * _allKeys (q: KeyQuery, options?: AbortOptions): Generator<Key> {
    for (const entry of this.matching(q.prefix)) {
      options?.signal?.throwIfAborted()
      yield new Key(entry.key, false)
    }
  }

  /** Live records under `prefix`, as a snapshot (callers delete while they iterate). */
  private matching (prefix = '/'): Entry[] {
    this.dropExpired()
    if (PROVIDER_KEY_PREFIX.startsWith(prefix)) return [...this.own.values(), ...this.aged.values()]
    if (!prefix.startsWith(PROVIDER_KEY_PREFIX + '/')) return []
    const cid = prefix.slice(PROVIDER_KEY_PREFIX.length + 1).split('/')[0]
    return this.ofCid(cid).filter(e => this.live(e))
  }

  private ofCid (cid: string): Entry[] {
    const held = this.byCid.get(cid)
    return held == null ? [] : Array.isArray(held) ? [...held] : [held]
  }

  private find (key: string): Entry | undefined {
    const entry = this.own.get(key) ?? this.aged.get(key)
    return entry != null && this.live(entry) ? entry : undefined
  }

  private live (entry: Entry): boolean {
    return entry.peer === this.self || entry.time + this.validity > Date.now()
  }

  /** Others' records are kept oldest first, and kad-dht stamps them when they arrive: the
   * expired ones are at the front. Own records stay (kad-dht re-provides them, then rewrites). */
  private dropExpired (): void {
    for (const entry of this.aged.values()) {
      if (this.live(entry)) break
      this.remove(entry.key)
      this.expired++
    }
  }

  private evict (entry: Entry | undefined): void {
    if (entry == null) return
    log.trace('full: dropping %s', entry.key)
    this.remove(entry.key)
    this.evicted++
  }

  private insert (entry: Entry): void {
    const held = this.byCid.get(entry.cid)
    if (held == null) this.byCid.set(entry.cid, entry)
    else if (Array.isArray(held)) held.push(entry)
    else this.byCid.set(entry.cid, [held, entry])
    if (entry.peer === this.self) {
      this.own.set(entry.key, entry)
      return
    }
    this.aged.set(entry.key, entry)
    let mine = this.byPeer.get(entry.peer)
    if (mine == null) this.byPeer.set(entry.peer, mine = new Map())
    mine.set(entry.key, entry)
  }

  private remove (key: string): void {
    const entry = this.own.get(key) ?? this.aged.get(key)
    if (entry == null) return
    this.own.delete(key)
    this.aged.delete(key)
    const held = this.byCid.get(entry.cid)
    if (held === entry) this.byCid.delete(entry.cid)
    else if (Array.isArray(held)) {
      const rest = held.filter(e => e !== entry)
      this.byCid.set(entry.cid, rest.length === 1 ? rest[0] : rest)
    }
    const mine = this.byPeer.get(entry.peer)
    mine?.delete(key)
    if (mine?.size === 0) this.byPeer.delete(entry.peer)
  }
}

/** The first (oldest) value of a Map. */
function first<V> (map: Map<string, V>): V | undefined {
  for (const v of map.values()) return v
  return undefined
}

export class ProviderKeyError extends Error {
  static readonly code = 'ProviderKeyError'
  override name = 'ProviderKeyError'
}

function parseKey (key: string): { key: string, cid: string, peer: string } {
  const rest = key.startsWith(PROVIDER_KEY_PREFIX + '/') ? key.slice(PROVIDER_KEY_PREFIX.length + 1).split('/') : []
  if (rest.length !== 2 || rest[0] === '' || rest[1] === '') throw new ProviderKeyError(`not a provider record key: ${key}`)
  return { key, cid: rest[0], peer: rest[1] }
}

/**
 * The node's datastore: provider records in a ProviderStore, everything else (the peer store,
 * DHT value records) in `inner`. A query under the provider prefix reads the store alone.
 */
export class DhtDatastore extends MountDatastore {
  constructor (readonly providers: ProviderStore, inner: Datastore) {
    super([{ prefix: new Key(PROVIDER_KEY_PREFIX), datastore: providers }, { prefix: new Key('/'), datastore: inner }])
  }

  override query (q: Query, options?: AbortOptions): Generator<Pair> | AsyncGenerator<Pair> {
    if (q.prefix?.startsWith(PROVIDER_KEY_PREFIX) === true) return this.providers.query(q, options)
    return super.query(q, options)
  }

  override queryKeys (q: KeyQuery, options?: AbortOptions): Generator<Key> | AsyncGenerator<Key> {
    if (q.prefix?.startsWith(PROVIDER_KEY_PREFIX) === true) return this.providers.queryKeys(q, options)
    return super.queryKeys(q, options)
  }
}
