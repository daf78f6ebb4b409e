import { mkdirSync, renameSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { logger } from '@libp2p/logger'
import { CACHE_FOLDER_WINDOWS, CACHE_WRITE_BATCH, CACHE_WRITE_DELAY_MS, ENTRIES_PAGE, HASH_DB_FILE } from './constants.js'
import { FileChangedError } from './errors.js'
import { sameKey } from './file-key.js'
import { FILE_ID_LENGTH, Manifest } from '../wire/file-manifest.js'
import type { FileKey } from './file-key.js'
import type { StatementSync } from 'node:sqlite'

const log = logger('fsnode:share')

/** PRAGMA user_version of the current layout. 1 (or 0): table `hashes` keyed by size, mtime and
 * inode; 2: table `hashes_v2` keyed by size, ctime, inode and device (see FileKey); 3: the same
 * with the file's mtime, so that a restart can share the rows before its scan (see entries());
 * 4: with the file id's bytes too, so that it shares them without hashing or decoding a
 * manifest (a row of an older version gets it when its scan finds the file unchanged). */
const SCHEMA_VERSION = 4

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hashes_v2 (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  ctime_ms REAL NOT NULL,
  ino REAL NOT NULL,
  dev REAL,
  manifest BLOB NOT NULL,
  mtime_ms REAL,
  file_id BLOB
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

/** path, size, ctime_ms, ino, dev, manifest, mtime_ms, whether the file id is recorded:
 * node:sqlite's rows as arrays. As objects they were dictionary-mode objects, twice the memory
 * and 1.5-2x the CPU of a 200,000-row preload. */
type Row = [path: string, size: number, ctimeMs: number, ino: number, dev: number | null, manifest: Uint8Array, mtimeMs: number | null, hasId: number]

const COLUMNS = 'path, size, ctime_ms, ino, dev, manifest, mtime_ms, file_id IS NOT NULL'
const PUT_COLUMNS = 'path, size, ctime_ms, ino, dev, manifest, mtime_ms, file_id'

/**
 * A page of entries() rows: the file id and the manifest as one hex string, or for a row
 * without its file id the manifest alone. Hex, not a BLOB: a BLOB is an ArrayBuffer per row
 * (130 of 250 ms of CPU to read 200,000 rows), a string is cheap and is written straight into
 * the shared file's record (see IndexedFile). Pages of ENTRIES_PAGE rows by key: one
 * call into node:sqlite per page, not per row, and small ones: a page is alive through the
 * young-generation collections its rows take (200,000 rows shared: 2.3 s of CPU in pages of
 * 1000, 1.75 s in pages of 100, 2.3 s with iterate()).
 */
const UNDER = "?2 != '' AND substr(path, 1, length(?2)) = ?2"
const ENTRIES_SELECT = `SELECT CASE WHEN ${UNDER} THEN NULL ELSE path END, size, ctime_ms, ino, dev, mtime_ms,
  CASE WHEN length(file_id) = ${FILE_ID_LENGTH} THEN hex(file_id) || hex(manifest) END,
  CASE WHEN file_id IS NULL OR length(file_id) != ${FILE_ID_LENGTH} THEN manifest END,
  CASE WHEN ${UNDER} THEN substr(path, length(?2) + 1) END
  FROM hashes_v2 WHERE path > ?1 AND dev IS NOT NULL AND mtime_ms IS NOT NULL ORDER BY path LIMIT ${ENTRIES_PAGE}`

/** A path under entries()' `under` comes as its rest alone (`rel`): one string per row, not two. */
type EntryRow = [path: string | null, size: number, ctimeMs: number, ino: number, dev: number, mtimeMs: number, packedHex: string | null, manifest: Uint8Array | null, rel: string | null]

/** A row as the file it describes (see entries()). */
export interface CachedFile extends FileKey {
  path: string
  mtimeMs: number
  /** Its manifest, or the hex of its file id's bytes then the manifest's (as recorded: not
   * decoded, see IndexedFile). */
  manifest: Manifest | string
  /** The path after entries()' `under`, when it starts with it (then `path` is `under + rel`,
   * made when read: a caller with a root for `under` needs only this). */
  rel?: string
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
  private readonly setIdStmt: StatementSync
  private readonly folderStmt: StatementSync
  private closed = false
  /** Rows not yet written: written together, one transaction instead of one per file. */
  private unwritten = new Map<string, { key: FileKey & { mtimeMs?: number }, manifest: Manifest }>()
  private writeTimer?: NodeJS.Timeout
  /** During a scan, the rows of the folders it is in, a SELECT per folder (see preload()). */
  private folders?: Map<string, Map<string, Row>>

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
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM hashes_v2 WHERE path = ?`)
    this.getStmt.setReturnArrays(true)
    this.putStmt = db.prepare(`INSERT INTO hashes_v2 (${PUT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (path) DO UPDATE SET size = excluded.size, ctime_ms = excluded.ctime_ms, ino = excluded.ino,
        dev = excluded.dev, manifest = excluded.manifest, mtime_ms = excluded.mtime_ms, file_id = excluded.file_id`)
    this.deleteStmt = db.prepare('DELETE FROM hashes_v2 WHERE path = ?')
    this.setIdStmt = db.prepare('UPDATE hashes_v2 SET file_id = ? WHERE path = ?')
    // the rows directly in one folder: a range of the primary key, deeper paths filtered out
    this.folderStmt = db.prepare(`SELECT ${COLUMNS} FROM hashes_v2
      WHERE path >= ?1 AND path < ?2 AND instr(substr(path, length(?1) + 1), '${sep}') = 0`)
    this.folderStmt.setReturnArrays(true)
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
      const columns = db.prepare("SELECT name FROM pragma_table_info('hashes_v2')").all() as Array<{ name: string }>
      if (!columns.some(c => c.name === 'mtime_ms')) db.exec('ALTER TABLE hashes_v2 ADD COLUMN mtime_ms REAL')
      if (!columns.some(c => c.name === 'file_id')) db.exec('ALTER TABLE hashes_v2 ADD COLUMN file_id BLOB')
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
   * For a scan that will ask for most rows, folder by folder: until release(), get() reads the
   * rows of a path's whole folder in one SELECT and keeps the last CACHE_FOLDER_WINDOWS folders
   * in memory. One statement per file cost 10,000 round trips through node:sqlite on a restart
   * (a quarter of the share scan's CPU in a profile); every row at once cost its memory: 200,000
   * rows held ~80 MB during the scan, and the heap kept that size after it.
   */
  preload (): void {
    this.folders = new Map()
  }

  /**
   * Every row that says all the index needs to share its file without looking at it (the
   * device and mtime recorded); a row that cannot be decoded is left out. With `under` (a
   * folder's path and a separator), the rest of each path under it (`rel`) comes from SQLite as
   * a string of its own: the name a slice of the path would make keeps the whole path alive for
   * as long as the file is shared (~14 MB at 200,000 files). Whether the
   * file is still that version is for the caller to check (the chunk server checks every open).
   */
  * entries (under = ''): Generator<CachedFile> {
    const select = this.db.prepare(ENTRIES_SELECT)
    select.setReturnArrays(true)
    for (let after = ''; ;) {
      const rows = select.all(after, under) as unknown as EntryRow[]
      if (rows.length === 0) return
      const last = rows[rows.length - 1]
      after = last[0] ?? under + (last[8] as string)
      const ids: Array<[path: string, id: Uint8Array]> = []
      for (const [full, size, ctimeMs, ino, dev, mtimeMs, hex, bytes, rel] of rows) {
        // a concatenation, not copied unless the caller reads it (see CachedFile.path)
        const path = full ?? under + (rel as string)
        // recorded by put() from a checked manifest; the downloader checks what it is sent anyway
        if (hex != null) {
          yield { path, size, ctimeMs, ino, dev, mtimeMs, manifest: hex, rel: rel ?? undefined }
          continue
        }
        let manifest: Manifest
        try {
          manifest = Manifest.decode(bytes as Uint8Array)
        } catch {
          continue // get() drops it when the scan asks for it
        }
        if (manifest.size !== size) continue
        ids.push([path, manifest.fileId.bytes])
        yield { path, size, ctimeMs, ino, dev, mtimeMs, manifest, rel: rel ?? undefined }
      }
      // a row of version 3 or older: its file id recorded, once (the next restart reads it)
      if (ids.length > 0 && !this.closed) this.transaction(() => { for (const [path, id] of ids) this.setIdStmt.run(id, path) })
    }
  }

  /** Back to one SELECT per get() (after a scan: the rows are not kept in memory). */
  release (): void {
    this.folders = undefined
  }

  private row (path: string): Row | undefined {
    if (this.folders == null) return this.getStmt.get(path) as Row | undefined
    const dir = dirname(path)
    let rows = this.folders.get(dir)
    if (rows == null) {
      const from = dir.endsWith(sep) ? dir : dir + sep
      const to = from.slice(0, -1) + String.fromCharCode(sep.charCodeAt(0) + 1)
      rows = new Map()
      for (const r of this.folderStmt.iterate(from, to) as Iterable<Row>) rows.set(r[0], r)
      this.folders.set(dir, rows)
      if (this.folders.size > CACHE_FOLDER_WINDOWS) this.folders.delete(this.folders.keys().next().value as string)
    }
    return rows.get(path)
  }

  /** The manifest of `path` if it was hashed at exactly this key (size, ctime, inode, device).
   * A row written before its mtime or file id was kept (versions 2 and 3) gets them, for entries(). */
  get (path: string, key: FileKey & { mtimeMs?: number }): Manifest | undefined {
    const u = this.unwritten.get(path)
    if (u != null) return sameKey(u.key, key) ? u.manifest : undefined
    const row = this.row(path)
    if (row == null) return undefined
    const [, size, ctimeMs, ino, dev, bytes, mtimeMs, hasId] = row
    if (size !== key.size || ctimeMs !== key.ctimeMs || ino !== key.ino) return undefined
    if (dev != null && dev !== key.dev) return undefined
    let manifest: Manifest
    try {
      manifest = Manifest.decode(bytes)
      if (manifest.size !== key.size) throw new Error('size mismatch')
    } catch (err: any) {
      log('dropping bad hash cache row for %s: %s', path, err.message)
      this.delete(path)
      return undefined
    }
    if ((mtimeMs == null || dev == null || hasId === 0) && key.mtimeMs != null) this.put(path, key, manifest)
    return manifest
  }

  /** Record the manifest of `path` at this key; its mtime is kept to share the row on a restart. */
  put (path: string, key: FileKey & { mtimeMs?: number }, manifest: Manifest): void {
    this.unwritten.set(path, { key: { size: key.size, ctimeMs: key.ctimeMs, ino: key.ino, dev: key.dev, mtimeMs: key.mtimeMs }, manifest })
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

  /** Record the manifest of a file the node just wrote (a finished download) under its real
   * path and current key, so that sharing it needs no hashing. */
  async remember (path: string, manifest: Manifest): Promise<void> {
    const abs = join(await realpath(dirname(resolve(path))), basename(path))
    const st = await stat(abs)
    if (st.size !== manifest.size) throw new FileChangedError(`${abs} has ${st.size} bytes, its manifest ${manifest.size}`)
    this.put(abs, st, manifest)
  }

  delete (path: string): void {
    this.unwritten.delete(path)
    this.folders?.get(dirname(path))?.delete(path)
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
      for (const [path, { key, manifest }] of rows) this.putStmt.run(path, key.size, key.ctimeMs, key.ino, key.dev, manifest.bytes, key.mtimeMs ?? null, manifest.fileId.bytes)
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

  /** Drop every row whose path is not in `keep` (or `keep(path)` is false); returns how many were dropped. */
  prune (keep: ReadonlySet<string> | ((path: string) => boolean)): number {
    const kept = typeof keep === 'function' ? keep : (path: string) => keep.has(path)
    this.flush()
    const select = this.db.prepare('SELECT path FROM hashes_v2')
    select.setReturnArrays(true)
    const gone: string[] = []
    for (const [path] of select.iterate() as Iterable<[string]>) if (!kept(path)) gone.push(path)
    if (gone.length > 0) this.transaction(() => { for (const path of gone) this.deleteStmt.run(path) })
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
