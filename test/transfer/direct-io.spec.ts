import assert from 'node:assert/strict'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BufferPool } from '../../src/transfer/buffer-pool.js'
import { DIRECT_IO_ALIGN, DIRECT_IO_MIN_BYTES, DirectWriter, alignedMemory, directEligible, directWritable } from '../../src/transfer/direct-io.js'
import { Cleanup, directSupported, tempDir } from './helpers.js'

describe('transfer/direct-io', () => {
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('takes big files whose chunks are whole blocks, and only whole blocks at block offsets', () => {
    const onLinux = process.platform === 'linux'
    assert.equal(directEligible(DIRECT_IO_MIN_BYTES, 1024 * 1024), onLinux)
    assert.equal(directEligible(DIRECT_IO_MIN_BYTES - 1, 1024 * 1024), false, 'a small file')
    assert.equal(directEligible(1 << 30, 1000 * 1000), false, 'chunks that are not whole blocks')
    assert.equal(directWritable(new Uint8Array(2 * DIRECT_IO_ALIGN), DIRECT_IO_ALIGN), true)
    assert.equal(directWritable(new Uint8Array(DIRECT_IO_ALIGN + 1), 0), false, 'a short last chunk')
    assert.equal(directWritable(new Uint8Array(DIRECT_IO_ALIGN), 512), false, 'an unaligned offset')
    assert.equal(directWritable(new Uint8Array(0), 0), false)
  })

  it('aligned memory is written direct; a Node buffer O_DIRECT refuses ends direct writes, nothing half-written', async function () {
    const dir = await tempDir(cleanup)
    if (!await directSupported(dir)) this.skip() // this file system has no O_DIRECT: nothing to check
    const fh = await open(join(dir, 'data'), 'w+')
    const writer = await DirectWriter.open(fh, 'data', DIRECT_IO_MIN_BYTES, DIRECT_IO_ALIGN)
    assert.ok(writer != null, 'the file is reopened for direct writes')
    try {
      const mem = alignedMemory(4 * DIRECT_IO_ALIGN)
      assert.ok(mem != null)
      const block = Buffer.from(mem, DIRECT_IO_ALIGN, DIRECT_IO_ALIGN).fill(7)
      assert.equal(await writer.write(block, DIRECT_IO_ALIGN), true)
      assert.equal(await writer.write(block.subarray(0, 100), 0), false, 'a short piece is left to the page cache')
      assert.equal(writer.active, true)
      // at an odd address, which no device takes for direct I/O: refused with EINVAL, not thrown
      const odd = Buffer.allocUnsafeSlow(2 * DIRECT_IO_ALIGN).subarray(1, 1 + DIRECT_IO_ALIGN).fill(9)
      assert.equal(await writer.write(odd, 0), false)
      assert.equal(writer.active, false, 'no more direct writes after a refusal')
      assert.equal(await writer.write(block, DIRECT_IO_ALIGN), false)
      await fh.datasync()
      const back = await readFile(join(dir, 'data'))
      assert.deepEqual(back.subarray(DIRECT_IO_ALIGN, 2 * DIRECT_IO_ALIGN), block)
      assert.ok(back.subarray(0, DIRECT_IO_ALIGN).every(b => b === 0), 'the refused write left nothing')
    } finally {
      await writer.close()
      await fh.close()
    }
  })

  it('a file that does not qualify gets no direct writer', async () => {
    const dir = await tempDir(cleanup)
    const fh = await open(join(dir, 'data'), 'w+')
    try {
      assert.equal(await DirectWriter.open(fh, 'data', DIRECT_IO_MIN_BYTES - 1, DIRECT_IO_ALIGN), undefined)
      assert.equal(await DirectWriter.open(fh, 'data', DIRECT_IO_MIN_BYTES, 1000), undefined)
    } finally {
      await fh.close()
    }
  })

  it('the pool cuts aligned buffers from one memory and takes a short last chunk back whole', () => {
    const size = 2 * DIRECT_IO_ALIGN
    const pool = new BufferPool(size, 3, true)
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()]
    assert.equal(a.buffer, b.buffer, 'one memory')
    assert.deepEqual([a.byteOffset, b.byteOffset, c.byteOffset], [0, size, 2 * size])
    pool.release(c.subarray(0, 10)) // the last chunk of a file, handed on shorter
    const again = pool.acquire()
    assert.equal(again.byteOffset, 2 * size)
    assert.equal(again.byteLength, size)
    assert.equal(pool.bytes, 3 * size)
    const plain = new BufferPool(size, 2)
    assert.equal(plain.acquire().buffer.byteLength, size, 'unaligned pools allocate each buffer')
  })
})
