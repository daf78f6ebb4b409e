import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Manifest } from '../../src/wire/file-manifest.js'
import { PARTIAL_DIR } from '../../src/transfer/constants.js'
import { BatchPlacer } from '../../src/transfer/batch-placer.js'
import { Cleanup, tempDir } from './helpers.js'

const CHUNK = 256 * 1024
const SECRET = 'private\n'

/** A one-chunk file's bytes and manifest. */
function small (size = 16 * 1024): { data: Buffer, manifest: Manifest } {
  const data = randomBytes(size)
  const hashes = size === 0 ? new Uint8Array(0) : createHash('sha256').update(data).digest()
  return { data, manifest: Manifest.create(size, CHUNK, hashes) }
}

describe('transfer/batch-placer: the small files of a batch', () => {
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('places files in nested folders under their names, each the file it reports, and leaves no partial folder', async () => {
    const out = await tempDir(cleanup)
    const placer = new BatchPlacer(out)
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `photos/d${i % 3}/f${i}.bin`, ...small(i === 7 ? 0 : 1000 + i) }))
    const placed = await Promise.all(files.map(async f => await placer.place(f.name, f.manifest, f.data.byteLength === 0 ? [] : [f.data])))
    await placer.close()
    for (const [i, f] of files.entries()) {
      const r = placed[i]
      assert.equal(r.path, join(out, f.name))
      assert.equal(r.existed, false)
      assert.deepEqual(await readFile(r.path), f.data)
      const st = await lstat(r.path)
      assert.ok(st.isFile() && st.nlink === 1, 'one name: the partial file is gone')
      assert.deepEqual({ dev: st.dev, ino: st.ino }, r.identity)
    }
    assert.deepEqual((await readdir(out)).sort(), ['photos'], 'no partial folder left')
  })

  it('a name already taken: the same content counts as present, another gets a numbered name', async () => {
    const out = await tempDir(cleanup)
    const same = small()
    const other = small()
    await mkdir(join(out, 'photos'))
    await writeFile(join(out, 'photos', 'same.bin'), same.data)
    await writeFile(join(out, 'photos', 'other.bin'), 'someone else\'s file\n')
    const placer = new BatchPlacer(out)
    const a = await placer.place('photos/same.bin', same.manifest, [same.data])
    const b = await placer.place('photos/other.bin', other.manifest, [other.data])
    await placer.close()
    assert.deepEqual([a.path, a.existed], [join(out, 'photos', 'same.bin'), true])
    assert.deepEqual([b.path, b.existed], [join(out, 'photos', 'other (1).bin'), false])
    assert.equal(await readFile(join(out, 'photos', 'other.bin'), 'utf8'), 'someone else\'s file\n')
    assert.deepEqual(await readFile(b.path), other.data)
  })

  it('never writes through a link planted under the output folder: a folder, or the partial file', async () => {
    const out = await tempDir(cleanup)
    const elsewhere = await tempDir(cleanup)
    const secret = join(elsewhere, 'secret.txt')
    await writeFile(secret, SECRET)
    await symlink(elsewhere, join(out, 'photos'))
    const f = small()
    await mkdir(join(out, PARTIAL_DIR))
    await symlink(secret, join(out, PARTIAL_DIR, `${f.manifest.fileId.toString()}.part`))
    const placer = new BatchPlacer(out)
    await assert.rejects(placer.place('photos/a.bin', f.manifest, [f.data]), { name: 'UnsafePathError' })
    const r = await placer.place('b.bin', f.manifest, [f.data]) // the link at the partial file is replaced
    await placer.close()
    assert.deepEqual(await readFile(r.path), f.data)
    assert.equal(await readFile(secret, 'utf8'), SECRET)
    assert.deepEqual(await readdir(elsewhere), ['secret.txt'])
  })

  it('a folder checked for an earlier file, then swapped for a link leading out: the next file is refused and removed from there', async () => {
    const out = await tempDir(cleanup)
    const elsewhere = await tempDir(cleanup)
    const placer = new BatchPlacer(out)
    const first = small()
    await placer.place('photos/a.bin', first.manifest, [first.data])
    // the folder moves out of the download folder and a link takes its place
    await rename(join(out, 'photos'), join(elsewhere, 'photos'))
    await symlink(join(elsewhere, 'photos'), join(out, 'photos'))
    const second = small()
    await assert.rejects(placer.place('photos/b.bin', second.manifest, [second.data]), { name: 'UnsafePathError' })
    await placer.close()
    assert.deepEqual(await readdir(join(elsewhere, 'photos')), ['a.bin'], 'nothing of ours stays behind the link')
  })
})
