import { mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { logger } from '@libp2p/logger'
import { CACHE_WRITE_BATCH, CACHE_WRITE_DELAY_MS, HASH_DB_FILE } from './constants.js'
import { sameKey } from './file-key.js'
import { Manifest } from '../wire/file-manifest.js'
import type { FileKey } from './file-key.js'
import type { StatementSync } from 'node:sqlite'

const log = logger('fsnode:share')

/** PRAGMA user_version of the current layout. 1 (or 0): table `hashes` keyed by size, mtime and
 * inode; 2: table `hashes_v2` keyed by size, ctime, inode and device (see FileKey). */
const SCHEMA_VERSION = 2

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hashes_v2 (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  ctime_ms REAL NOT NULL,
  ino REAL NOT NULL,
  dev REAL,
  manifest BLOB NOT NULL
) WITHOUT ROWID;
`

/**
 * Version 1 rows were keyed by mtime, which `touch -r` sets back. A row is carried over with its
 * mtime as the ctime it must match: a file whose ctime still equals the mtime it was hashed at
 * has not been touched since (a write sets both to now; utimes, chmod or a rename move ctime on),
 * so its hash still holds; any other is re-hashed once. The device was not recorded (NULL: any).
 */
const MIGRATE_V1 = `
INSERT OR IGNORE INTO hashes_v2 (path, size, ctime_ms, ino, dev, manifest)
  SELECT path, size, mtime_ms, ino, NULL, manifest FROM hashes;
DROP TABLE hashes;
`

/** SQLITE_CORRUPT and SQLITE_NOTADB: the file is damaged, not merely busy or unreadable. */
function isCorrupt (err: any): boolean {
  const code = typeof err?.errcode === 'number' ? err.errcode & 0xff : -1
  return code === 11 || code === 26
}

interface Row {
  size: number
  ctime_ms: number
  ino: number
  dev: number | null
  manifest: Uint8Array
}

/**
 * Manifests of files already hashed, keyed by absolute path and the file's size, ctime, inode
 * and device (FileKey): a restart over an unchanged folder re-hashes nothing. It is only a
 * cache: a row that does not match the file on disk, or cannot be decoded, is a miss, and a
 * database that cannot be opened is moved aside and started afresh. An older database is
 * migrated on open (see MIGRATE_V1).
 */
export class HashCache {
  readonly file: string
  private readonly db: DatabaseSync
  private readonly getStmt: StatementSync
  private readonly putStmt: StatementSync
  private readonly deleteStmt: StatementSync
  private closed = false
  /** Rows not yet written: written together, one transaction instead of one per file. */
  private unwritten = new Map<string, { key: FileKey, manifest: Manifest }>()
  private writeTimer?: NodeJS.Timeout
  /** Every row, read at once for a scan (see preload()). */
  private preloaded?: Map<string, Row>

  constructor (dataDir: string) {
    mkdirSync(dataDir, { recursive: true })
    this.file = join(dataDir, HASH_DB_FILE)
    let db: DatabaseSync
    try {
      db = HashCache.open(this.file)
    } catch (err: any) {
      if (!isCorrupt(err)) throw err
      const aside = `${this.file}.broken-${Date.now()}`
      log.error('hash cache %s cannot be opened (%s); moving it to %s', this.file, err.message, aside)
      renameSync(this.file, aside)
      db = HashCache.open(this.file)
    }
    this.db = db
    this.getStmt = db.prepare('SELECT size, ctime_ms, ino, dev, manifest FROM hashes_v2 WHERE path = ?')
    this.putStmt = db.prepare(`INSERT INTO hashes_v2 (path, size, ctime_ms, ino, dev, manifest) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (path) DO UPDATE SET size = excluded.size, ctime_ms = excluded.ctime_ms, ino = excluded.ino,
        dev = excluded.dev, manifest = excluded.manifest`)
    this.deleteStmt = db.prepare('DELETE FROM hashes_v2 WHERE path = ?')
  }

  private static open (file: string): DatabaseSync {
    const db = new DatabaseSync(file, { timeout: 5000 })
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;')
      HashCache.migrate(db)
    } catch (err) {
      db.close()
      throw err
    }
    return db
  }

  /** Bring an older database to SCHEMA_VERSION, in one transaction. */
  private static migrate (db: DatabaseSync): void {
    const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number }
    if (version >= SCHEMA_VERSION) return
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(SCHEMA)
      const v1 = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hashes'").get()
      if (v1 != null) {
        db.exec(MIGRATE_V1)
        log('hash cache: moved version 1 rows to version %d', SCHEMA_VERSION)
      }
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }

  /**
   * Read every row in one SELECT, for a scan that will ask for most of them: until release(),
   * get() answers from memory. One statement per file cost 10,000 round trips through
   * node:sqlite on a restart (a quarter of the share scan's CPU in a profile); one SELECT costs
   * a few per cent of that (node:sqlite rows, measured: 20-80 ms for 10,000 under load).
   */
  preload (): void {
    const rows = new Map<string, Row>()
    for (const r of this.db.prepare('SELECT path, size, ctime_ms, ino, dev, manifest FROM hashes_v2').iterate()) {
      rows.set(r.path as string, r as unknown as Row)
    }
    this.preloaded = rows
  }

  /** Back to one SELECT per get() (after a scan: the rows are not kept in memory). */
  release (): void {
    this.preloaded = undefined
  }

  /** The manifest of `path` if it was hashed at exactly this key (size, ctime, inode, device). */
  get (path: string, key: FileKey): Manifest | undefined {
    const u = this.unwritten.get(path)
    if (u != null) return sameKey(u.key, key) ? u.manifest : undefined
    const row = this.preloaded != null ? this.preloaded.get(path) : this.getStmt.get(path) as Row | undefined
    if (row == null) return undefined
    if (row.size !== key.size || row.ctime_ms !== key.ctimeMs || row.ino !== key.ino) return undefined
    if (row.dev != null && row.dev !== key.dev) return undefined
    try {
      const manifest = Manifest.decode(row.manifest)
      if (manifest.size !== key.size) throw new Error('size mismatch')
      return manifest
    } catch (err: any) {
      log('dropping bad hash cache row for %s: %s', path, err.message)
      this.delete(path)
      return undefined
    }
  }

  put (path: string, key: FileKey, manifest: Manifest): void {
    this.unwritten.set(path, { key: { size: key.size, ctimeMs: key.ctimeMs, ino: key.ino, dev: key.dev }, manifest })
    if (this.unwritten.size >= CACHE_WRITE_BATCH) this.flush()
    else if (this.writeTimer == null) {
      this.writeTimer = setTimeout(() => {
        try {
          this.flush()
        } catch (err: any) {
          log.error('cannot write the hash cache: %s', err.message)
        }
      }, CACHE_WRITE_DELAY_MS)
      this.writeTimer.unref()
    }
  }

  delete (path: string): void {
    this.unwritten.delete(path)
    this.preloaded?.delete(path)
    this.deleteStmt.run(path)
  }

  /** Write the rows put so far. */
  flush (): void {
    clearTimeout(this.writeTimer)
    this.writeTimer = undefined
    if (this.unwritten.size === 0 || this.closed) return
    const rows = this.unwritten
    this.unwritten = new Map()
    this.transaction(() => {
      for (const [path, { key, manifest }] of rows) this.putStmt.run(path, key.size, key.ctimeMs, key.ino, key.dev, manifest.bytes)
    })
  }

  private transaction (fn: () => void): void {
    this.db.exec('BEGIN')
    try {
      fn()
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** Drop every row whose path is not in `keep`; returns how many were dropped. */
  prune (keep: ReadonlySet<string>): number {
    this.flush()
    const paths = this.db.prepare('SELECT path FROM hashes_v2').all() as Array<{ path: string }>
    const gone = paths.filter(r => !keep.has(r.path))
    if (gone.length > 0) this.transaction(() => { for (const { path } of gone) this.deleteStmt.run(path) })
    return gone.length
  }

  get size (): number {
    this.flush()
    return (this.db.prepare('SELECT count(*) AS n FROM hashes_v2').get() as { n: number }).n
  }

  close (): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.db.close()
  }
}
