import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Manifest } from '../../src/share/manifest.js'
import { PARTIAL_DIR } from '../../src/transfer/constants.js'
import { PartialFile } from '../../src/transfer/partial-file.js'
import { fsError, sameContent } from '../../src/transfer/disk.js'
import { Cleanup, tempDir } from './helpers.js'

const CHUNK = 256 * 1024

/** A manifest and the content it describes, built in memory. */
function content (size: number): { data: Buffer, manifest: Manifest, chunk: (i: number) => Buffer } {
  const data = randomBytes(size)
  const chunks = Math.ceil(size / CHUNK)
  const hashes = new Uint8Array(chunks * 32)
  const chunk = (i: number): Buffer => data.subarray(i * CHUNK, Math.min(size, (i + 1) * CHUNK))
  for (let i = 0; i < chunks; i++) hashes.set(createHash('sha256').update(chunk(i)).digest(), i * 32)
  return { data, manifest: Manifest.create(size, CHUNK, hashes), chunk }
}

describe('transfer/partial-file', () => {
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('records only chunks whose data was synced: a crash loses the unflushed ones, nothing else', async () => {
    const out = await tempDir(cleanup)
    const { manifest, chunk } = content(10 * CHUNK)
    const p = await PartialFile.open({ outDir: out, manifest, flushChunks: 1000, flushInterval: 60_000 })
    for (const i of [0, 1, 2]) await p.write(i, chunk(i))
    await p.flush()
    for (const i of [5, 6]) await p.write(i, chunk(i))
    // "kill -9": the process dies without close(); a new run opens the same files
    const again = await PartialFile.open({ outDir: out, manifest })
    assert.equal(again.resumed, 3)
    assert.deepEqual(again.doneIndexes(), [0, 1, 2])
    await again.close()
    await p.close()
  })

  it('completes to the final name atomically and removes its traces', async () => {
    const out = await tempDir(cleanup)
    const { data, manifest, chunk } = content(3 * CHUNK + 7)
    const p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [3, 1, 0, 2]) await p.write(i, chunk(i))
    const r = await p.complete('dir/final.bin')
    assert.deepEqual(r, { path: join(out, 'dir', 'final.bin'), existed: false })
    assert.deepEqual(await readFile(r.path), data)
    assert.deepEqual((await readdir(out)).sort(), ['dir'])
  })

  it('refuses to complete with chunks missing', async () => {
    const out = await tempDir(cleanup)
    const { manifest, chunk } = content(2 * CHUNK)
    const p = await PartialFile.open({ outDir: out, manifest })
    await p.write(0, chunk(0))
    await assert.rejects(p.complete('x.bin'), (err: Error) => err.name === 'PartialFileError')
    await p.close()
  })

  it('never overwrites a different file; same content counts as done', async () => {
    const out = await tempDir(cleanup)
    const { data, manifest, chunk } = content(CHUNK + 1)
    await writeFile(join(out, 'a.txt'), 'mine')
    await writeFile(join(out, 'a (1).txt'), 'mine too')
    let p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1]) await p.write(i, chunk(i))
    assert.deepEqual(await p.complete('a.txt'), { path: join(out, 'a (2).txt'), existed: false })
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'mine')

    p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1]) await p.write(i, chunk(i))
    await writeFile(join(out, 'b.txt'), data)
    assert.deepEqual(await p.complete('b.txt'), { path: join(out, 'b.txt'), existed: true })
    assert.equal(await sameContent(join(out, 'b.txt'), manifest), true)
    assert.ok(!(await readdir(out)).includes(PARTIAL_DIR))
  })

  it('a file too large for the free space fails at once with DiskFullError', async () => {
    const out = await tempDir(cleanup)
    // 8 TiB in 16 MiB chunks: no test machine has that free
    const chunks = 512 * 1024
    const manifest = Manifest.create(chunks * 16 * 1024 * 1024, 16 * 1024 * 1024, new Uint8Array(chunks * 32))
    await assert.rejects(PartialFile.open({ outDir: out, manifest }), (err: Error) =>
      err.name === 'DiskFullError' && !err.message.includes('\n') && /run get again to resume/.test(err.message))
  })

  it('maps ENOSPC and EDQUOT to DiskFullError and other errors to PartialFileError, in one line', () => {
    assert.equal(fsError(Object.assign(new Error('x'), { code: 'ENOSPC' }), 'cannot write f').name, 'DiskFullError')
    assert.equal(fsError(Object.assign(new Error('x'), { code: 'EDQUOT' }), 'cannot write f').name, 'DiskFullError')
    const other = fsError(Object.assign(new Error('permission denied'), { code: 'EACCES' }), 'cannot write f')
    assert.equal(other.name, 'PartialFileError')
    assert.equal(other.message, 'cannot write f: permission denied')
  })
})
