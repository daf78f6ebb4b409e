import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HashCache } from '../../src/share/hash-cache.js'
import { HASH_DB_FILE } from '../../src/share/constants.js'
import { Manifest } from '../../src/share/manifest.js'
import { removeDirs, tempDir } from './helpers.js'

const manifest = Manifest.create(5, 256 * 1024, new Uint8Array(32).fill(7))
const key = { size: 5, mtimeMs: 1732550400123.4567, ino: 2 ** 40 + 3 }

describe('share/hash-cache', () => {
  const dirs: string[] = []
  let dir: string
  beforeEach(async () => { dirs.push(dir = await tempDir('cache')) })
  afterEach(async () => { await removeDirs(dirs) })

  it('returns a manifest only for the same path, size, mtime and inode', () => {
    const cache = new HashCache(dir)
    cache.put('/a/b c.txt', key, manifest)
    assert.ok(cache.get('/a/b c.txt', key)?.fileId.equals(manifest.fileId))
    assert.equal(cache.get('/a/other', key), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, size: 6 }), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, mtimeMs: key.mtimeMs + 0.001 }), undefined)
    assert.equal(cache.get('/a/b c.txt', { ...key, ino: key.ino + 1 }), undefined)
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

  it('moves a damaged database aside and starts afresh', async () => {
    await writeFile(join(dir, HASH_DB_FILE), 'this is not a database'.repeat(100))
    const cache = new HashCache(dir)
    cache.put('/y', key, manifest)
    assert.ok(cache.get('/y', key) != null)
    cache.close()
    assert.ok((await readdir(dir)).some(f => f.startsWith(`${HASH_DB_FILE}.broken-`)))
  })
})
