// The file table's index by file id: keyed by a number from the id's digest, so names of one
// content, and ids whose numbers agree, share a key; every answer is checked on the whole id.
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { FileTable } from '../../src/share/file-table.js'
import { IndexedFile, idHash, idHashOfKey } from '../../src/share/shared-file.js'
import { Manifest } from '../../src/wire/file-manifest.js'
import type { Root } from '../../src/share/roots.js'

const folder: Root = { path: '/s', real: '/real/s', name: '', kind: 'dir' }
const key = { size: 1, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 }

function manifestOf (i: number): Manifest {
  return Manifest.create(1, 256 * 1024, new Uint8Array(32).fill(i))
}

/** A file whose id is `m`'s with its last byte changed: the same idHash(), another id. */
function twinOf (name: string, m: Manifest): IndexedFile {
  const id = Uint8Array.from(m.fileId.bytes)
  id[id.length - 1] ^= 0xff
  return new IndexedFile(name, folder, undefined, key, Buffer.concat([id, m.bytes]).toString('hex'))
}

function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1')
}

describe('share/file-table: files by id', () => {
  it('finds, counts and lists each id once, through names of one content and ids whose numbers agree', () => {
    const t = new FileTable()
    const a = manifestOf(1)
    const b = manifestOf(2)
    t.add(new IndexedFile('a1', folder, undefined, key, a))
    t.add(new IndexedFile('a2', folder, undefined, key, a))
    t.add(new IndexedFile('b', folder, undefined, key, b))
    const twin = twinOf('twin', a)
    assert.equal(twin.idHash, idHash(a.fileId.bytes))
    assert.equal(twin.hasId(a.fileId.bytes), false)
    t.add(twin)

    assert.equal(t.idCount, 3)
    assert.deepEqual([...t.idKeys()].sort(), [a.fileId.bytes, b.fileId.bytes, twin.fileIdBytes].map(latin1).sort())
    assert.ok(['a1', 'a2'].includes(t.byId(a.fileId)?.name ?? ''))
    assert.equal(t.byId(twin.fileId)?.name, 'twin')
    assert.equal(t.hasIdKey(latin1(a.fileId.bytes)), true)
    assert.equal(t.hasIdKey(latin1(twin.fileIdBytes)), true)
    assert.equal(t.hasIdKey(latin1(manifestOf(3).fileId.bytes)), false)
    assert.equal(idHashOfKey(latin1(a.fileId.bytes)), idHash(a.fileId.bytes))

    // one name of two left: the id stays; the twin's removal leaves a's names alone
    t.delete('a1')
    assert.equal(t.idCount, 3)
    assert.equal(t.byId(a.fileId)?.name, 'a2')
    t.delete('twin')
    assert.equal(t.idCount, 2)
    assert.equal(t.byId(twin.fileId), undefined)
    assert.equal(t.byId(a.fileId)?.name, 'a2')
    t.delete('a2')
    assert.equal(t.idCount, 1)
    assert.equal(t.byId(a.fileId), undefined)
    assert.equal(t.hasIdKey(latin1(a.fileId.bytes)), false)
    assert.deepEqual([...t.idKeys()], [latin1(b.fileId.bytes)])

    // a name given a new content: the old id goes, the new one comes
    t.set(new IndexedFile('b', folder, undefined, key, a))
    assert.equal(t.idCount, 1)
    assert.equal(t.byId(b.fileId), undefined)
    assert.equal(t.byId(a.fileId)?.name, 'b')
  })

  it('answers nothing for a malformed id from the wire', () => {
    const t = new FileTable()
    t.add(new IndexedFile('a', folder, undefined, key, manifestOf(1)))
    const short = CID.decode(Uint8Array.from([1, 0x55, 0x00, 0x00]))
    assert.equal(t.byId(short), undefined)
    assert.equal(t.hasIdKey('\x01'), false)
  })
})
