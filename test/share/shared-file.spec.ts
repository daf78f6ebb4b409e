// A shared file as the index keeps it: its numbers, file id and manifest in a record of a
// shared slab, read back through getters exactly as given.
import assert from 'node:assert/strict'
import { IndexedFile } from '../../src/share/shared-file.js'
import { Manifest } from '../../src/wire/file-manifest.js'
import type { Root } from '../../src/share/roots.js'

const folder: Root = { path: '/s', real: '/real/s', name: '', kind: 'dir' }
const named: Root = { path: '/p', real: '/real/p', name: 'photos', kind: 'dir' }

function manifestOf (i: number): Manifest {
  const size = 1 + i * 300_000 // one chunk, then more: records of different lengths
  const chunks = Math.ceil(size / (256 * 1024))
  return Manifest.create(size, 256 * 1024, new Uint8Array(32 * chunks).fill(i % 256))
}

/** The hex of a manifest's file id's bytes then its own, as HashCache.entries() reads a row. */
function hexOf (m: Manifest): string {
  return Buffer.concat([m.fileId.bytes, m.bytes]).toString('hex')
}

describe('share/shared-file: IndexedFile', () => {
  it('gives back each file\'s numbers, file id and manifest, over many slabs, from a Manifest or recorded hex', () => {
    const files: Array<{ f: IndexedFile, m: Manifest, i: number }> = []
    for (let i = 0; i < 600; i++) {
      const m = manifestOf(i)
      const key = { size: m.size, mtimeMs: 1_700_000_000_000.5 + i, ctimeMs: 1_700_000_000_001.25 + i, ino: 2 ** 40 + i, dev: 2049 + i }
      const name = `d${i % 7}/f${i}.bin`
      const f = new IndexedFile(name, folder, `/real/s/${name}`, key, i % 2 === 0 ? m : hexOf(m))
      files.push({ f, m, i })
    }
    for (const { f, m, i } of files) {
      assert.equal(f.size, m.size)
      assert.equal(f.mtimeMs, 1_700_000_000_000.5 + i)
      assert.equal(f.ctimeMs, 1_700_000_000_001.25 + i)
      assert.equal(f.ino, 2 ** 40 + i)
      assert.equal(f.dev, 2049 + i)
      assert.ok(f.fileId.equals(m.fileId), `file ${i}`)
      assert.deepEqual(new Uint8Array(f.fileIdBytes), m.fileId.bytes)
      assert.deepEqual(new Uint8Array(f.manifest.bytes), m.bytes)
      assert.equal(f.manifest.chunks, m.chunks)
      assert.equal(f.path, `/real/s/d${i % 7}/f${i}.bin`)
    }
  })

  it('remembers the last scan that saw it, in its record', () => {
    const m = manifestOf(1)
    const f = new IndexedFile('a', folder, undefined, { size: m.size, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 }, m)
    assert.equal(f.seenSince(1), false, 'no scan saw a new file')
    f.mark(5)
    assert.deepEqual([4, 5, 6].map(n => f.seenSince(n)), [true, true, false])
    f.mark(3) // an earlier walk, overlapping, finds it after: the later mark stays
    assert.equal(f.seenSince(5), true)
    assert.ok(f.fileId.equals(m.fileId), 'the mark leaves the file id as it was')
    assert.deepEqual(new Uint8Array(f.manifest.bytes), m.bytes)
  })

  it('makes its path from root and name, and keeps one only when it differs (a followed link)', () => {
    const m = manifestOf(1)
    const key = { size: m.size, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 }
    assert.equal(new IndexedFile('photos/a/b.jpg', named, '/real/p/a/b.jpg', key, m).path, '/real/p/a/b.jpg')
    assert.equal(new IndexedFile('photos/a/b.jpg', named, '/real/p/link/b.jpg', key, m).path, '/real/p/link/b.jpg')
    assert.equal(new IndexedFile('x.bin', folder, '/real/s/x.bin', key, m).path, '/real/s/x.bin')
    assert.equal(new IndexedFile('x.bin', folder, '/real/sx.bin', key, m).path, '/real/sx.bin')
    const file: Root = { path: '/d/f.bin', real: '/real/d/f.bin', name: 'f.bin', kind: 'file' }
    assert.equal(new IndexedFile('f.bin', file, '/real/d/f.bin', key, m).path, '/real/d/f.bin')
    assert.equal(new IndexedFile('x.bin', { ...folder, real: '/' }, '/x.bin', key, m).path, '/x.bin')
  })
})
