import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { appendFile, mkdir, stat, symlink, writeFile } from 'node:fs/promises'
import { platform } from 'node:os'
import { join } from 'node:path'
import { FileChangedError, NotAFileError, OtherFileError } from '../../src/share/errors.js'
import { hashFile, hashFileStat } from '../../src/share/hasher.js'
import { HASH_LENGTH, Manifest } from '../../src/wire/file-manifest.js'
import { chunkSizeFor } from '../../src/share/chunk-size.js'
import { removeDirs, tempDir } from './helpers.js'

/** The manifest computed the obvious way: sha256 of each chunk of the whole buffer. */
function expected (data: Uint8Array): Manifest {
  const chunkSize = chunkSizeFor(data.byteLength)
  const n = Math.ceil(data.byteLength / chunkSize)
  const hashes = new Uint8Array(n * HASH_LENGTH)
  for (let i = 0; i < n; i++) {
    const h = createHash('sha256').update(data.subarray(i * chunkSize, (i + 1) * chunkSize)).digest()
    hashes.set(h, i * HASH_LENGTH)
  }
  return Manifest.create(data.byteLength, chunkSize, hashes)
}

describe('share/hasher', () => {
  const dirs: string[] = []
  let dir: string
  beforeEach(async () => { dirs.push(dir = await tempDir('hasher')) })
  afterEach(async () => { await removeDirs(dirs) })

  it('hashes an empty file to a manifest with no chunks', async () => {
    const path = join(dir, 'empty')
    await writeFile(path, '')
    const m = await hashFile(path)
    assert.equal(m.size, 0)
    assert.equal(m.chunks, 0)
    assert.equal(m.hashes.byteLength, 0)
    assert.ok(m.fileId.equals(expected(new Uint8Array(0)).fileId))
  })

  const K256 = 256 * 1024
  const sizes = [1, K256 - 1, K256, K256 + 1, 3 * K256, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1]
  for (const size of sizes) {
    it(`matches a direct sha256 of every chunk (${size} bytes)`, async () => {
      const data = randomBytes(size)
      const path = join(dir, `f-${size}`)
      await writeFile(path, data)
      const want = expected(data)
      const got = await hashFileStat(path)
      assert.equal(got.size, size)
      assert.equal(got.manifest.chunkSize, chunkSizeFor(size))
      assert.deepEqual(got.manifest.hashes, want.hashes)
      assert.ok(got.manifest.fileId.equals(want.fileId))
      // reads that do not line up with chunks give the same result
      const odd = await hashFile(path, { readSize: 100_003 })
      assert.ok(odd.fileId.equals(want.fileId))
    })
  }

  it('refuses a file that grows while it is hashed', async () => {
    const path = join(dir, 'growing')
    await writeFile(path, new Uint8Array(8 * 1024 * 1024))
    // small reads make hashing slow; keep appending until it is over
    const hashing = hashFile(path, { readSize: 4096 })
    let done = false
    const settled = hashing.finally(() => { done = true }).catch(() => {})
    while (!done) {
      await appendFile(path, 'more')
      await new Promise(resolve => setTimeout(resolve, 5))
    }
    await settled
    await assert.rejects(hashing, FileChangedError)
  })

  it('stops when aborted', async () => {
    const path = join(dir, 'big')
    await writeFile(path, new Uint8Array(32 * 1024 * 1024))
    await assert.rejects(hashFile(path, { readSize: 4096, signal: AbortSignal.timeout(10) }), { name: 'TimeoutError' })
  })

  it('refuses what is not a regular file', async () => {
    await assert.rejects(hashFile(dir), (err: any) => err instanceof NotAFileError && err.message === `not a regular file: ${dir}`)
  })

  it('hashes only the file the scan found: another device or inode is refused', async () => {
    const path = join(dir, 'f.bin')
    await writeFile(path, 'content')
    const st = await stat(path)
    const got = await hashFileStat(path, { expect: st })
    assert.deepEqual([got.dev, got.ino, got.ctimeMs, got.size], [st.dev, st.ino, st.ctimeMs, st.size])
    await assert.rejects(hashFileStat(path, { expect: { dev: st.dev, ino: st.ino + 1 } }), OtherFileError)
    await assert.rejects(hashFileStat(path, { expect: { dev: st.dev + 1, ino: st.ino } }),
      (err: Error) => err instanceof OtherFileError && /no longer the file the scan found/.test(err.message))
  })

  it('hashes only a file that lies inside the share, whatever the path went through (Linux)', async function () {
    if (platform() !== 'linux') this.skip()
    const share = join(dir, 'share')
    const outside = join(dir, 'outside')
    await mkdir(join(share, 'data'), { recursive: true })
    await mkdir(outside)
    await writeFile(join(share, 'in.txt'), 'in')
    await writeFile(join(share, 'data', 'key'), 'node key')
    await writeFile(join(outside, 'private.txt'), 'private')
    await symlink(outside, join(share, 'out'))
    assert.equal((await hashFileStat(join(share, 'in.txt'), { within: share })).size, 2)
    // as if the scan had been fooled into the private file's device and inode
    const path = join(share, 'out', 'private.txt')
    await assert.rejects(hashFileStat(path, { within: share, expect: await stat(path) }),
      (err: Error) => err instanceof OtherFileError && /leads out of the share/.test(err.message))
    await assert.rejects(hashFileStat(join(share, 'data', 'key'), { within: share, exclude: [join(share, 'data')] }), OtherFileError)
  })
})
