import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import {
  COLLECT_CHUNK, INDEX_DB_FILE, MAX_ENTRIES_PER_PEER, MAX_LOOKUP_ROWS, OFFLINE_GRACE, SQLITE_CACHE_KIB, STALE_SETTLE
} from './constants.js'
import { IndexStoreError, QuotaExceededError } from './errors.js'
import { decodeListCursor, decodeSearchCursor, encodeCursor, toFtsQuery } from './query.js'
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema.js'
import { SQL } from './sql.js'
import type { StatementSync } from 'node:sqlite'
import type { AnnounceInput, LookupGroup, Page, ProviderInfo, StoreEntry } from './types.js'

export type { AnnounceInput, LookupGroup, Page, ProviderInfo, StoreEntry } from './types.js'

export interface IndexStoreInit {
  /** Entries of a disconnected provider stay visible this long. @default OFFLINE_GRACE */
  graceMs?: number
  /** Entries one peer may have. @default MAX_ENTRIES_PER_PEER */
  maxEntriesPerPeer?: number
  /** Rows of an earlier snapshot wait this long before they are collected. @default STALE_SETTLE */
  staleSettleMs?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
}

type Row = Record<string, any>
/** A LIST/SEARCH row: ENTRY_COLS of sql.ts, in order. */
type EntryRow = [id: number, name: string, fileId: Uint8Array, size: number, mtime: number, peerId: string]
// sorts after any character that can follow a prefix (UTF-8 byte order = code point order)
const PREFIX_END = '\u{10ffff}'

/**
 * The coordinator's index on SQLite (WAL): who shares which names, with which file ids. It lives
 * on disk, so it survives restarts and costs no memory per entry. Queries show only the entries
 * of the providers' current snapshots, of providers online or within the grace period.
 */
export class IndexStore {
  readonly graceMs: number
  readonly maxEntriesPerPeer: number
  private readonly staleSettleMs: number
  private readonly db: DatabaseSync
  private readonly now: () => number
  private readonly stmt: Record<keyof typeof SQL, StatementSync>

  /** Open (creating it if needed) `<dataDir>/index.db`. */
  static open (dataDir: string, init: IndexStoreInit = {}): IndexStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    return new IndexStore(join(dataDir, INDEX_DB_FILE), init)
  }

  /** `path` may be ':memory:' for tests. */
  constructor (path: string, init: IndexStoreInit = {}) {
    this.graceMs = init.graceMs ?? OFFLINE_GRACE
    this.maxEntriesPerPeer = init.maxEntriesPerPeer ?? MAX_ENTRIES_PER_PEER
    this.staleSettleMs = init.staleSettleMs ?? STALE_SETTLE
    this.now = init.now ?? Date.now
    this.db = new DatabaseSync(path)
    // a page cache in the tens of MiB: index pages of random keys (file ids) otherwise miss
    // the default 2 MiB cache, which made a 100k-entry announce ~1.5x slower (measured)
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      PRAGMA cache_size = -${SQLITE_CACHE_KIB}; PRAGMA temp_store = MEMORY`)
    const version = this.schemaVersion()
    if (version != null && version !== SCHEMA_VERSION) {
      const migration = MIGRATIONS[version]
      if (migration == null) {
        this.db.close()
        throw new IndexStoreError(`${path} has index schema ${version}, this version uses ${SCHEMA_VERSION}; remove it (nodes announce again)`)
      }
      this.tx(() => {
        this.db.exec(migration)
        this.db.prepare('UPDATE meta SET value = ? WHERE key = \'schema\'').run(String(SCHEMA_VERSION))
      })
    }
    this.db.exec(SCHEMA)
    this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (\'schema\', ?)').run(String(SCHEMA_VERSION))
    this.stmt = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, this.db.prepare(sql)])) as Record<keyof typeof SQL, StatementSync>
    // page rows as arrays (ENTRY_COLS order): no object with six named keys per row
    for (const k of ['list', 'listPrefix', 'search'] as const) this.stmt[k].setReturnArrays(true)
  }

  close (): void {
    if (this.db.isOpen) this.db.close()
  }

  /**
   * Record what `peerId` announces, in one transaction. Over the quota, nothing of the message
   * is kept. Returns how many entries the peer has now.
   */
  announce (peerId: string, input: AnnounceInput): number {
    return this.tx(() => {
      const now = this.now()
      let { gen } = this.stmt.touch.get({ peer: peerId, addrs: input.addrs == null ? null : JSON.stringify(input.addrs), now }) as Row
      if (input.replace === true) gen = (this.stmt.bump.get({ peer: peerId, now }) as Row).gen
      // a peer at its quota that keeps sending new names is refused at the first one, not after
      // inserting (and rolling back) a whole frame of them
      const before = input.replace === true ? 0 : this.count(peerId)
      let added = 0
      let revived = 0
      for (const e of input.entries) {
        const r = this.stmt.insert.run(peerId, e.name, e.fileId, e.size, e.mtime, gen)
        if (r.changes > 0) {
          this.stmt.ftsInsert.run(r.lastInsertRowid, e.name)
          added++
        } else if (this.stmt.revive.run(e.fileId, e.size, e.mtime, gen, peerId, e.name, gen).changes > 0) {
          revived++
        } else {
          this.stmt.update.run(e.fileId, e.size, e.mtime, peerId, e.name)
        }
        if (before + added + revived > this.maxEntriesPerPeer) {
          throw new QuotaExceededError(`more than ${this.maxEntriesPerPeer} entries per peer`)
        }
      }
      const c = this.stmt.counts.get({ peer: peerId, entries: added + revived, rows: added }) as Row
      if (c.entries > this.maxEntriesPerPeer) {
        throw new QuotaExceededError(`${Number(c.entries)} entries, at most ${this.maxEntriesPerPeer} per peer`)
      }
      // a peer that keeps starting snapshots of new names pays for its own backlog
      if (c.rows > 2 * this.maxEntriesPerPeer) this.collectPeer(peerId, gen, Number.MAX_SAFE_INTEGER)
      return Number(c.entries)
    })
  }

  /** Start of a snapshot: hide every entry `peerId` announced before. */
  replaceSnapshot (peerId: string): void {
    this.announce(peerId, { replace: true, entries: [] })
  }

  /** Add or update entries of `peerId` (a delta). */
  upsert (peerId: string, entries: Iterable<StoreEntry>): number {
    return this.announce(peerId, { entries })
  }

  /** Withdraw names; returns how many of them were current entries. */
  remove (peerId: string, names: Iterable<string>): number {
    return this.tx(() => {
      const { gen } = this.stmt.touch.get({ peer: peerId, addrs: null, now: this.now() }) as Row
      const rows: Row[] = []
      for (const name of new Set(names)) {
        const row = this.stmt.find.get(peerId, name) as Row | undefined
        if (row != null) rows.push({ id: row.id, name, gen: row.gen })
      }
      this.deleteRows(rows)
      const current = rows.filter(r => r.gen === gen).length
      this.stmt.counts.run({ peer: peerId, entries: -current, rows: -rows.length })
      return current
    })
  }

  /** Entries ordered by name then peer id, optionally under a name prefix. */
  list (options: { cursor?: string, limit: number, prefix?: string }): Page {
    const prefix = options.prefix ?? ''
    let [name, peer] = [prefix, '']
    if (options.cursor != null && options.cursor !== '') {
      const [, cName, cPeer] = decodeListCursor(options.cursor)
      if (cName >= prefix) [name, peer] = [cName, cPeer]
    }
    const params = { name, peer, cutoff: this.cutoff(), limit: options.limit + 1 }
    const rows = prefix === ''
      ? this.stmt.list.all(params)
      : this.stmt.listPrefix.all({ ...params, upper: prefix + PREFIX_END })
    return this.page(rows as unknown as EntryRow[], options.limit, r => encodeCursor(['l', r[1], r[5]]))
  }

  /** Entries whose name has every word of `text` (as a word or the start of one). */
  search (text: string, options: { cursor?: string, limit: number }): Page {
    const match = toFtsQuery(text)
    if (match == null) return { entries: [], cursorAfter: () => '' }
    const after = options.cursor != null && options.cursor !== '' ? decodeSearchCursor(options.cursor)[1] : 0
    const rows = this.stmt.search.all({ match, after, cutoff: this.cutoff(), limit: options.limit + 1 })
    return this.page(rows as unknown as EntryRow[], options.limit, r => encodeCursor(['s', r[0]]))
  }

  lookupByName (name: string, limit = MAX_LOOKUP_ROWS): LookupGroup[] {
    return group(this.stmt.byName.all({ key: name, cutoff: this.cutoff(), limit }))
  }

  lookupByFileId (fileId: Uint8Array, limit = MAX_LOOKUP_ROWS): LookupGroup[] {
    return group(this.stmt.byFileId.all({ key: fileId, cutoff: this.cutoff(), limit }))
  }

  /** The provider record of `peerId` (online or not), unless it expired. */
  provider (peerId: string): ProviderInfo | undefined {
    const row = this.stmt.provider.get(peerId) as Row | undefined
    return row == null ? undefined : { peerId: row.peer_id, addrs: parseAddrs(row.addrs), online: row.online === 1 }
  }

  /** The provider records of `peerIds` (those that did not expire), in one query. */
  providers (peerIds: Iterable<string>): Map<string, ProviderInfo> {
    const out = new Map<string, ProviderInfo>()
    for (const row of this.stmt.providersOf.all(JSON.stringify([...peerIds]))) {
      out.set(row.peer_id as string, { peerId: row.peer_id as string, addrs: parseAddrs(row.addrs as string), online: row.online === 1 })
    }
    return out
  }

  /** Current entries of `peerId` (what the quota counts). */
  count (peerId: string): number {
    const row = this.stmt.count.get(peerId) as Row | undefined
    return row == null ? 0 : Number(row.entries)
  }

  /** A known provider connected: its entries are shown again. Unknown peers are ignored. */
  setOnline (peerId: string): void {
    this.stmt.online.run({ peer: peerId, now: this.now() })
  }

  /** A provider disconnected: its entries stay for the grace period. */
  setOffline (peerId: string): void {
    this.stmt.offline.run({ peer: peerId, now: this.now() })
  }

  /** Providers currently marked online. */
  onlinePeers (): string[] {
    return this.stmt.onlinePeers.all().map(r => r.peer_id as string)
  }

  /** At start nobody is connected yet: everyone goes offline now and gets a full grace. */
  markAllOffline (): void {
    this.stmt.allOffline.run(this.now())
  }

  /**
   * Expire the providers offline for longer than `graceMs`: their entries are dropped at once
   * (one statement, whatever their number); the rows are deleted by `collect()`.
   */
  expire (graceMs = this.graceMs): { providers: number, entries: number } {
    return this.tx(() => {
      const cutoff = this.now() - graceMs
      const { entries } = this.stmt.expiring.get(cutoff) as Row
      return { providers: this.stmt.expire.all(cutoff).length, entries: Number(entries) }
    })
  }

  /**
   * Delete up to `budget` stale rows (of earlier snapshots settled for `staleSettleMs`, or of
   * expired providers) in one transaction. Returns how many were deleted: call again while it
   * returns `budget`.
   */
  collect (budget = COLLECT_CHUNK): number {
    return this.tx(() => {
      let deleted = 0
      for (const p of this.stmt.backlog.all(this.now() - this.staleSettleMs)) {
        if (deleted >= budget) break
        deleted += this.collectPeer(p.peer_id as string, p.gen as number, budget - deleted)
      }
      this.stmt.dropExpired.run()
      return deleted
    })
  }

  stats (): { providers: number, online: number, entries: number, stale: number } {
    const row = this.stmt.stats.get() as Row
    return { providers: Number(row.providers), online: Number(row.online), entries: Number(row.entries), stale: Number(row.stale) }
  }

  private collectPeer (peerId: string, gen: number, budget: number): number {
    const rows = this.stmt.stale.all(peerId, gen, budget)
    this.deleteRows(rows)
    if (rows.length < budget) this.stmt.recount.run({ peer: peerId })
    else this.stmt.counts.run({ peer: peerId, entries: 0, rows: -rows.length })
    return rows.length
  }

  /**
   * FTS5 flushes its pending terms whenever a write goes to a lower rowid than the one before
   * it, so deletes go in rowid order (out of order, 100k deletes took 2.4 s instead of 0.2 s).
   */
  private deleteRows (rows: Row[]): void {
    rows.sort((a, b) => a.id - b.id)
    for (const r of rows) {
      this.stmt.ftsDelete.run(r.id, r.name)
      this.stmt.deleteId.run(r.id)
    }
  }

  private cutoff (): number {
    return this.now() - this.graceMs
  }

  /** `rows` has up to limit + 1 rows: the extra one only says that there is a next page. */
  private page (rows: EntryRow[], limit: number, cursorOf: (r: EntryRow) => string): Page {
    const more = rows.length > limit
    if (more) rows.pop()
    const entries = rows.map(r => ({ name: r[1], fileId: r[2], size: Number(r[3]), mtime: Number(r[4]), peerId: r[5] }))
    const cursorAfter = (i: number): string => cursorOf(rows[i])
    return { entries, nextCursor: more && rows.length > 0 ? cursorAfter(rows.length - 1) : undefined, cursorAfter }
  }

  private schemaVersion (): number | undefined {
    const table = this.db.prepare('SELECT name FROM sqlite_master WHERE type = \'table\' AND name = \'meta\'').get()
    if (table == null) return undefined
    const row = this.db.prepare('SELECT value FROM meta WHERE key = \'schema\'').get() as Row | undefined
    return row == null ? undefined : Number(row.value)
  }

  private tx<T> (fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const result = fn()
      this.db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }
}

/** Rows to one result per file id, each provider once. */
function group (rows: Row[]): LookupGroup[] {
  const groups = new Map<string, LookupGroup>()
  for (const r of rows) {
    const key = Buffer.from(r.file_id).toString('hex')
    let g = groups.get(key)
    if (g == null) {
      g = { fileId: r.file_id, name: r.name, size: Number(r.size), providers: [] }
      groups.set(key, g)
    }
    if (!g.providers.some(p => p.peerId === r.peer_id)) {
      g.providers.push({ peerId: r.peer_id, addrs: parseAddrs(r.addrs), online: r.online === 1 })
    }
  }
  return [...groups.values()]
}

function parseAddrs (json: string): string[] {
  try {
    const value = JSON.parse(json)
    return Array.isArray(value) ? value.filter(a => typeof a === 'string') : []
  } catch {
    return []
  }
}
