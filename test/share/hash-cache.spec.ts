import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { HashCache } from '../../src/share/hash-cache.js'
import { HASH_DB_FILE } from '../../src/share/constants.js'
import { Manifest } from '../../src/wire/file-manifest.js'
import { cachedManifest, removeDirs, tempDir } from './helpers.js'

const manifest = Manifest.create(5, 256 * 1024, new Uint8Array(32).fill(7))
// eslint-disable-next-line @typescript-eslint/no-loss-of-precision -- a ctimeMs as fs.stat gives it, digits past a double included
const key = { size: 5, ctimeMs: 1732550400123.4567, ino: 2 ** 40 + 3, dev: 2049 }

describe('share/hash-cache', () => {
  const dirs: string[] = []
  let dir: string
  beforeEach(async () => { dirs.push(dir = await tempDir('cache')) })
  afterEach(async () => { await removeDirs(dirs) })

  it('returns a manifest only for the same path, size, ctime, inode and device', () => {
    const cache = new HashCache(dir)
    cache.put('/a/b c.txt', key, manifest)
    assert.ok(cache.get('/a/b c.txt', key)?.fileId.equals(manifest.fileId))
    assert.equal(cache.get('/a/other', key), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, size: 6 }), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, ctimeMs: key.ctimeMs + 0.001 }), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, ino: key.ino + 1 }), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, dev: key.dev + 1 }), undefined)
    cache.delete('/a/b c.txt')
    assert.equal(cache.get('/a/b c.txt', key), undefined)
    cache.close()
  })

  it('persists across reopen and prunes paths no longer present', () => {
    let cache = new HashCache(dir)
    for (const p of ['/x/1', '/x/2', '/x/3']) cache.put(p, key, manifest)
    cache.close()
    cache = new HashCache(dir)
    assert.ok(cache.get('/x/2', key) != null)
    assert.equal(cache.prune(new Set(['/x/1', '/x/3'])), 1)
    assert.equal(cache.get('/x/2', key), undefined)
    assert.equal(cache.size, 2)
    cache.close()
  })

  it('answers from a preload (one SELECT) as it does row by row, until released', () => {
    let cache = new HashCache(dir)
    cache.put('/p/1', key, manifest)
    cache.put('/p/2', { ...key, dev: key.dev + 1 }, manifest)
    cache.close()
    cache = new HashCache(dir)
    cache.preload()
    assert.ok(cache.get('/p/1', key)?.fileId.equals(manifest.fileId))
    assert.equal(cache.get('/p/2', key), undefined, 'another device is a miss')
    assert.equal(cache.get('/p/3', key), undefined)
    cache.release()
    assert.ok(cache.get('/p/1', key)?.fileId.equals(manifest.fileId))
    assert.equal(cache.get('/p/2', key), undefined)
    cache.close()
  })

  it('moves a damaged database aside and starts afresh', async () => {
    await writeFile(join(dir, HASH_DB_FILE), 'this is not a database'.repeat(100))
    const cache = new HashCache(dir)
    cache.put('/y', key, manifest)
    assert.ok(cache.get('/y', key) != null)
    cache.close()
    assert.ok((await readdir(dir)).some(f => f.startsWith(`${HASH_DB_FILE}.broken-`)))
  })
})

describe('share/hash-cache: a version 1 hashes.db (keyed by mtime)', () => {
  const dirs: string[] = []
  let dir: string
  beforeEach(async () => { dirs.push(dir = await tempDir('cache-v1')) })
  afterEach(async () => { await removeDirs(dirs) })

  /** The database an older fsnode left behind, as it wrote it. */
  function writeV1 (rows: Array<{ path: string, size: number, mtimeMs: number, ino: number }>): void {
    const db = new DatabaseSync(join(dir, HASH_DB_FILE))
    db.exec(`CREATE TABLE hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL,
      ino REAL NOT NULL, manifest BLOB NOT NULL) WITHOUT ROWID`)
    const put = db.prepare('INSERT INTO hashes VALUES (?, ?, ?, ?, ?)')
    for (const r of rows) put.run(r.path, r.size, r.mtimeMs, r.ino, manifest.bytes)
    db.close()
  }

  it('opens, keeps rows whose ctime is still their hashed mtime, and misses the rest', () => {
    const t = 1_700_000_000_000.25
    writeV1([
      { path: '/untouched', size: 5, mtimeMs: t, ino: 10 },
      // edited in place, then `touch -r`: the mtime matches, the ctime moved on
      { path: '/touched', size: 5, mtimeMs: t, ino: 11 }
    ])
    let cache = new HashCache(dir)
    assert.ok(cache.get('/untouched', { size: 5, ctimeMs: t, ino: 10, dev: 77 })?.fileId.equals(manifest.fileId))
    assert.equal(cache.get('/touched', { size: 5, ctimeMs: t + 5000, ino: 11, dev: 77 }), undefined)
    cache.put('/touched', { size: 5, ctimeMs: t + 5000, ino: 11, dev: 77 }, manifest)
    cache.close()

    // reopened: migrated once, the new row kept, the old table gone
    cache = new HashCache(dir)
    assert.ok(cache.get('/touched', { size: 5, ctimeMs: t + 5000, ino: 11, dev: 77 }) != null)
    assert.equal(cache.size, 2)
    cache.close()
    const db = new DatabaseSync(join(dir, HASH_DB_FILE))
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r: any) => r.name), ['hashes_v2'])
    assert.equal((db.prepare('PRAGMA user_version').get() as any).user_version, 4)
    db.close()
  })
})

describe('share/hash-cache: entries (a restart shares them before its scan)', () => {
  const dirs: string[] = []
  let dir: string
  beforeEach(async () => { dirs.push(dir = await tempDir('cache-entries')) })
  afterEach(async () => { await removeDirs(dirs) })

  it('yields each row with its key and mtime, decoded', () => {
    let cache = new HashCache(dir)
    cache.put('/e/1', { ...key, mtimeMs: 1234.5 }, manifest)
    cache.close()
    cache = new HashCache(dir)
    const all = [...cache.entries()]
    assert.equal(all.length, 1)
    const [e] = all
    assert.deepEqual({ path: e.path, size: e.size, ctimeMs: e.ctimeMs, ino: e.ino, dev: e.dev, mtimeMs: e.mtimeMs }, { path: '/e/1', ...key, mtimeMs: 1234.5 })
    assert.ok(cachedManifest(e).fileId.equals(manifest.fileId))
    assert.deepEqual(new Uint8Array(cachedManifest(e).bytes), manifest.bytes)
    cache.close()
  })

  it('reads every row, page after page, each with its own file id and manifest', () => {
    let cache = new HashCache(dir)
    const made = new Map<string, Manifest>()
    for (let i = 0; i < 2345; i++) {
      const m = Manifest.create(i + 1, 256 * 1024, new Uint8Array(32).fill(i % 251))
      const path = `/p/${String(i).padStart(5, '0')}`
      made.set(path, m)
      cache.put(path, { ...key, size: i + 1, mtimeMs: i }, m)
    }
    cache.close()
    cache = new HashCache(dir)
    const all = [...cache.entries()]
    assert.equal(all.length, made.size)
    for (const e of all) {
      const m = made.get(e.path)
      assert.equal(typeof e.manifest, 'string', 'read as recorded, not decoded')
      assert.ok(m != null && cachedManifest(e).fileId.equals(m.fileId), e.path)
      assert.deepEqual(new Uint8Array(cachedManifest(e).bytes), m.bytes)
      assert.equal(e.size, m.size)
    }
    cache.close()
  })

  it('gives the rest of each path under a folder as its own string, and nothing for paths outside it', () => {
    let cache = new HashCache(dir)
    for (const path of ['/s/a/b.txt', '/s/c.txt', '/s2/x.txt', '/other']) cache.put(path, { ...key, mtimeMs: 1 }, manifest)
    cache.close()
    cache = new HashCache(dir)
    assert.deepEqual([...cache.entries('/s/')].map(e => [e.path, e.rel]), [['/other', undefined], ['/s/a/b.txt', 'a/b.txt'], ['/s/c.txt', 'c.txt'], ['/s2/x.txt', undefined]])
    assert.deepEqual([...cache.entries()].map(e => e.rel), [undefined, undefined, undefined, undefined])
    cache.close()
  })

  it('shares a version 3 row (no file id) by decoding it, and records its file id for the next start', () => {
    const db = new DatabaseSync(join(dir, HASH_DB_FILE))
    db.exec(`CREATE TABLE hashes_v2 (path TEXT PRIMARY KEY, size INTEGER NOT NULL, ctime_ms REAL NOT NULL,
      ino REAL NOT NULL, dev REAL, manifest BLOB NOT NULL, mtime_ms REAL) WITHOUT ROWID; PRAGMA user_version = 3`)
    db.prepare('INSERT INTO hashes_v2 VALUES (?, ?, ?, ?, ?, ?, ?)').run('/v3', key.size, key.ctimeMs, key.ino, key.dev, manifest.bytes, 5)
    db.close()
    let cache = new HashCache(dir)
    const [e] = [...cache.entries()]
    assert.ok(cachedManifest(e).fileId.equals(manifest.fileId))
    cache.close()
    const check = new DatabaseSync(join(dir, HASH_DB_FILE))
    const row = check.prepare('SELECT file_id FROM hashes_v2 WHERE path = ?').get('/v3') as { file_id: Uint8Array }
    check.close()
    assert.deepEqual(new Uint8Array(row.file_id), manifest.fileId.bytes)
    cache = new HashCache(dir)
    const [again] = [...cache.entries()]
    assert.equal(typeof again.manifest, 'string', 'its file id recorded')
    assert.ok(cachedManifest(again).fileId.equals(manifest.fileId))
    cache.close()
  })

  it('leaves out a version 2 row (no mtime) until a scan finds its file unchanged, and a row that does not decode', () => {
    // the layout version 2 wrote: no mtime_ms column
    const db = new DatabaseSync(join(dir, HASH_DB_FILE))
    db.exec(`CREATE TABLE hashes_v2 (path TEXT PRIMARY KEY, size INTEGER NOT NULL, ctime_ms REAL NOT NULL,
      ino REAL NOT NULL, dev REAL, manifest BLOB NOT NULL) WITHOUT ROWID; PRAGMA user_version = 2`)
    const put = db.prepare('INSERT INTO hashes_v2 VALUES (?, ?, ?, ?, ?, ?)')
    put.run('/old', key.size, key.ctimeMs, key.ino, key.dev, manifest.bytes)
    put.run('/bad', key.size, key.ctimeMs, key.ino, key.dev, Uint8Array.of(1, 2, 3))
    db.close()
    let cache = new HashCache(dir)
    assert.deepEqual([...cache.entries()], [], 'neither is shared unseen')
    // the scan asks, with the file's mtime: the row gets it
    assert.ok(cache.get('/old', { ...key, mtimeMs: 99 }) != null)
    cache.close()
    cache = new HashCache(dir)
    assert.deepEqual([...cache.entries()].map(e => [e.path, e.mtimeMs]), [['/old', 99]])
    cache.close()
  })
})
