import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { link, lstat, mkdir, readdir, readFile, rename, rm, statfs, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Manifest } from '../../src/wire/file-manifest.js'
import { PARTIAL_DIR } from '../../src/transfer/constants.js'
import { PartialFile } from '../../src/transfer/partial-file.js'
import { fsError, sameContent } from '../../src/transfer/disk.js'
import { assertInside, isStillFile } from '../../src/transfer/out-folder.js'
import { BufferPool } from '../../src/transfer/buffer-pool.js'
import { DIRECT_IO_MIN_BYTES } from '../../src/transfer/direct-io.js'
import { Cleanup, directSupported, tempDir } from './helpers.js'

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

function placed (r: { path: string, existed: boolean }): { path: string, existed: boolean } {
  return { path: r.path, existed: r.existed }
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

  it('a big file: whole chunks go direct from aligned buffers, the short last one through the page cache; a resume verifies them', async function () {
    const out = await tempDir(cleanup)
    if (!await directSupported(out)) this.skip() // this file system has no O_DIRECT
    const { data, manifest, chunk } = content(DIRECT_IO_MIN_BYTES + 4097)
    const pool = new BufferPool(CHUNK, 4, true)
    const write = async (p: PartialFile, i: number): Promise<void> => {
      const c = chunk(i)
      const buf = pool.acquire()
      buf.set(c)
      await p.write(i, buf.subarray(0, c.byteLength))
      pool.release(buf)
    }
    const half = Math.floor(manifest.chunks / 2)
    const p = await PartialFile.open({ outDir: out, manifest, direct: true })
    assert.equal(p.writesDirect, true)
    for (let i = 0; i < half; i++) await write(p, i)
    await p.close()
    const again = await PartialFile.open({ outDir: out, manifest, direct: true })
    assert.equal(again.resumed, half, 'chunks written direct are on disk and verified')
    for (let i = manifest.chunks - 1; i >= half; i--) await write(again, i)
    assert.equal(again.writesDirect, true, 'no direct write was refused')
    const r = await again.complete('big.bin')
    assert.deepEqual(await readFile(r.path), data)
  })

  it('chunks in memory O_DIRECT refuses are written through the page cache, those in flight at once too', async function () {
    const out = await tempDir(cleanup)
    if (!await directSupported(out)) this.skip() // this file system has no O_DIRECT
    const { data, manifest, chunk } = content(DIRECT_IO_MIN_BYTES)
    const p = await PartialFile.open({ outDir: out, manifest, direct: true })
    assert.equal(p.writesDirect, true)
    // all at once, as a download writes: the first refusal closes the direct handle under the others
    await Promise.all(Array.from({ length: manifest.chunks }, async (_, i) => {
      const odd = Buffer.allocUnsafeSlow(CHUNK + 1)
      odd.set(chunk(i), 1) // at an odd address, which no device takes for direct I/O
      await p.write(i, odd.subarray(1))
    }))
    assert.equal(p.writesDirect, false)
    const r = await p.complete('big.bin')
    assert.deepEqual(await readFile(r.path), data)
  })

  it('without `direct`, or for a small file, nothing is written direct', async () => {
    const out = await tempDir(cleanup)
    const big = await PartialFile.open({ outDir: out, manifest: content(DIRECT_IO_MIN_BYTES).manifest })
    const small = await PartialFile.open({ outDir: out, manifest: content(DIRECT_IO_MIN_BYTES - 1).manifest, direct: true })
    assert.deepEqual([big.writesDirect, small.writesDirect], [false, false])
    await big.close()
    await small.close()
  })

  it('completes to the final name atomically and removes its traces', async () => {
    const out = await tempDir(cleanup)
    const { data, manifest, chunk } = content(3 * CHUNK + 7)
    const p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [3, 1, 0, 2]) await p.write(i, chunk(i))
    const r = await p.complete('dir/final.bin')
    assert.deepEqual(placed(r), { path: join(out, 'dir', 'final.bin'), existed: false })
    assert.deepEqual(await readFile(r.path), data)
    assert.deepEqual((await readdir(out)).sort(), ['dir'])
  })

  it('a file fetched within one flush interval is placed without a state file (no extra fsync and rename per small file)', async () => {
    const out = await tempDir(cleanup)
    const { data, manifest, chunk } = content(CHUNK + 7)
    const p = await PartialFile.open({ outDir: out, manifest })
    let states = 0
    const saveState = (p as any).saveState.bind(p)
    ;(p as any).saveState = async () => { states++; await saveState() }
    for (const i of [1, 0]) await p.write(i, chunk(i))
    const r = await p.complete('small.bin')
    assert.equal(states, 0)
    assert.deepEqual(await readFile(r.path), data)
    assert.deepEqual((await readdir(out)).sort(), ['small.bin'])
  })

  it('a file that cannot complete keeps its data recorded in a state file for a resume', async () => {
    const out = await tempDir(cleanup)
    const { manifest, chunk } = content(2 * CHUNK)
    const p = await PartialFile.open({ outDir: out, manifest })
    await p.write(0, chunk(0))
    await assert.rejects(p.complete('x.bin'), (err: Error) => err.name === 'PartialFileError' && /chunks are missing/.test(err.message))
    await p.close()
    const again = await PartialFile.open({ outDir: out, manifest })
    assert.deepEqual(again.doneIndexes(), [0])
    await again.close()
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
    assert.deepEqual(placed(await p.complete('a.txt')), { path: join(out, 'a (2).txt'), existed: false })
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'mine')

    p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1]) await p.write(i, chunk(i))
    await writeFile(join(out, 'b.txt'), data)
    assert.deepEqual(placed(await p.complete('b.txt')), { path: join(out, 'b.txt'), existed: true })
    assert.equal(await sameContent(join(out, 'b.txt'), manifest), true)
    assert.ok(!(await readdir(out)).includes(PARTIAL_DIR))
  })

  it('many files finishing while others start never race on the partial folder', async () => {
    // a folder get of ~2,000 small files: one file's complete() removed the empty partial
    // folder between another's mkdir and its open (ENOENT)
    const out = await tempDir(cleanup)
    const files = Array.from({ length: 400 }, () => content(100))
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const i = next++
        const { manifest, chunk } = files[i]
        const p = await PartialFile.open({ outDir: out, manifest })
        await p.write(0, chunk(0))
        await p.complete(`f${i}.bin`)
      }
    }
    await Promise.all(Array.from({ length: 32 }, async () => { await worker() }))
    assert.equal((await readdir(out)).filter(n => n.endsWith('.bin')).length, files.length)
    for (const [i, f] of files.entries()) assert.deepEqual(await readFile(join(out, `f${i}.bin`)), f.data)
    assert.ok(!(await readdir(out)).includes(PARTIAL_DIR), 'the partial folder is gone once all are done')
  })

  it('re-hashes chunks a state file claims before counting them: forged or corrupt ones are fetched again', async () => {
    const out = await tempDir(cleanup)
    const { manifest, chunk } = content(6 * CHUNK)
    const p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1, 2, 3]) await p.write(i, chunk(i))
    await p.close()
    // chunk 1 corrupted on disk, and a state that claims every chunk
    const part = join(out, PARTIAL_DIR, `${manifest.fileId.toString()}.part`)
    const bytes = await readFile(part)
    bytes[CHUNK + 5] ^= 0xff
    await writeFile(part, bytes)
    const state = join(out, PARTIAL_DIR, `${manifest.fileId.toString()}.state`)
    const s = JSON.parse(await readFile(state, 'utf8'))
    s.done = Buffer.from([0xff]).toString('base64')
    await writeFile(state, JSON.stringify(s))
    const again = await PartialFile.open({ outDir: out, manifest })
    assert.deepEqual(again.doneIndexes(), [0, 2, 3])
    assert.equal(again.resumed, 3)
    await assert.rejects(again.complete('x.bin'), (err: Error) => err.name === 'PartialFileError' && /chunks are missing/.test(err.message))
    await again.close()
  })

  it('a link planted at the partial file or its state is replaced by a file of ours, never written through', async () => {
    const out = await tempDir(cleanup)
    const victim = await tempDir(cleanup)
    const { data, manifest, chunk } = content(2 * CHUNK)
    const id = manifest.fileId.toString()
    await writeFile(join(victim, 'secret'), 'secret')
    await writeFile(join(victim, 'state'), 'state')
    await mkdir(join(out, PARTIAL_DIR))
    await symlink(join(victim, 'secret'), join(out, PARTIAL_DIR, `${id}.part`))
    await symlink(join(victim, 'state'), join(out, PARTIAL_DIR, `${id}.state.tmp`))
    const p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1]) await p.write(i, chunk(i))
    const r = await p.complete('f.bin')
    assert.ok((await readFile(join(victim, 'secret'), 'utf8')) === 'secret', 'the linked file is untouched')
    assert.ok((await readFile(join(victim, 'state'), 'utf8')) === 'state', 'the linked state file is untouched')
    const st = await lstat(r.path)
    assert.ok(st.isFile(), 'a regular file, not a link')
    assert.deepEqual(r.identity, { dev: st.dev, ino: st.ino })
    assert.deepEqual(await readFile(r.path), data)
  })

  it('a second name (hard link) planted at the partial file is replaced; a FIFO planted at the state neither hangs nor counts', async () => {
    const out = await tempDir(cleanup)
    const victim = await tempDir(cleanup)
    const { data, manifest, chunk } = content(2 * CHUNK)
    const id = manifest.fileId.toString()
    const part = join(out, PARTIAL_DIR, `${id}.part`)
    const state = join(out, PARTIAL_DIR, `${id}.state`)
    await writeFile(join(victim, 'secret'), 'secret')
    await mkdir(join(out, PARTIAL_DIR))
    await link(join(victim, 'secret'), part)
    let p = await PartialFile.open({ outDir: out, manifest })
    await p.write(0, chunk(0))
    await p.close()
    assert.ok((await readFile(join(victim, 'secret'), 'utf8')) === 'secret', 'the other name of the file is untouched')
    assert.equal((await lstat(part)).nlink, 1)

    await rm(state)
    execFileSync('mkfifo', [state])
    p = await PartialFile.open({ outDir: out, manifest })
    assert.equal(p.resumed, 0, 'a FIFO is not a state')
    for (const i of [0, 1]) await p.write(i, chunk(i))
    assert.deepEqual(await readFile((await p.complete('f.bin')).path), data)
  })

  it('a partial file swapped for a link mid-download is not placed: complete refuses in one line', async () => {
    const out = await tempDir(cleanup)
    const victim = await tempDir(cleanup)
    const { manifest, chunk } = content(2 * CHUNK)
    const p = await PartialFile.open({ outDir: out, manifest })
    for (const i of [0, 1]) await p.write(i, chunk(i))
    await writeFile(join(victim, 'secret'), 'secret')
    await symlink(join(victim, 'secret'), `${p.dataPath}.x`)
    await rename(`${p.dataPath}.x`, p.dataPath)
    await assert.rejects(p.complete('f.bin'), (err: Error) => err.name === 'UnsafePathError' && !err.message.includes('\n'))
    assert.deepEqual((await readdir(out)).filter(n => n !== PARTIAL_DIR), [], 'nothing placed under the final name')
    assert.ok((await readFile(join(victim, 'secret'), 'utf8')) === 'secret')
  })

  it('out-folder checks: a folder leading out through a link, and a file that is no longer the same one', async () => {
    const out = await tempDir(cleanup)
    const victim = await tempDir(cleanup)
    await mkdir(join(out, 'in'))
    await assertInside(out, join(out, 'in'))
    await symlink(victim, join(out, 'away'))
    await assert.rejects(assertInside(out, join(out, 'away')), (err: Error) => err.name === 'UnsafePathError')
    await writeFile(join(out, 'f'), 'x')
    const st = await lstat(join(out, 'f'))
    assert.equal(await isStillFile(join(out, 'f'), { dev: st.dev, ino: st.ino }), true)
    await writeFile(join(victim, 'g'), 'x')
    await symlink(join(victim, 'g'), join(out, 'f.x'))
    await rename(join(out, 'f.x'), join(out, 'f'))
    assert.equal(await isStillFile(join(out, 'f'), { dev: st.dev, ino: st.ino }), false, 'a link is not the file')
  })

  it('refuses a partial folder or a destination folder that is a link, in one line', async () => {
    const out = await tempDir(cleanup)
    const victim = await tempDir(cleanup)
    const { manifest, chunk } = content(CHUNK)
    await symlink(victim, join(out, PARTIAL_DIR))
    await assert.rejects(PartialFile.open({ outDir: out, manifest }), (err: Error) =>
      err.name === 'UnsafePathError' && err.message.includes(PARTIAL_DIR) && !err.message.includes('\n'))
    assert.deepEqual(await readdir(victim), [])

    const out2 = await tempDir(cleanup)
    await symlink(victim, join(out2, 'photos'))
    const p = await PartialFile.open({ outDir: out2, manifest })
    await p.write(0, chunk(0))
    await assert.rejects(p.complete('photos/a.jpg'), (err: Error) => err.name === 'UnsafePathError' && err.message.includes('photos'))
    assert.deepEqual(await readdir(victim), [])
  })

  it('a file too large for the free space fails at once with DiskFullError', async function () {
    const out = await tempDir(cleanup)
    // 500 GiB in 16 MiB chunks, about the most one manifest (MAX_MANIFEST_BYTES) describes
    const chunks = 32_000
    const fs = await statfs(out)
    if (fs.bavail * fs.bsize > chunks * 16 * 1024 * 1024) this.skip() // a disk with 500 GiB free: cannot be filled here
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
