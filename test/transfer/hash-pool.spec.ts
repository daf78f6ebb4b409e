import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { markAsUntransferable } from 'node:worker_threads'
import { HashPool } from '../../src/transfer/hash-pool.js'

function chunk (size: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(size)
  randomBytes(size).copy(buf)
  return buf
}

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

describe('transfer/hash-pool', () => {
  let pool: HashPool
  afterEach(async () => { await pool.close() })

  it('hashes a chunk on a worker thread and hands the same bytes back', async () => {
    pool = new HashPool(2)
    const buf = chunk(1024 * 1024)
    const copy = Buffer.from(buf)
    const r = await pool.digest(buf, 1000_000)
    assert.equal(buf.buffer.byteLength, 0, 'the buffer was transferred to the worker (detached here)')
    assert.deepEqual(r.digest, sha(copy.subarray(0, 1000_000)))
    assert.equal(r.buf.byteLength, 1024 * 1024)
    assert.deepEqual(r.buf, copy)
  })

  it('hashes small chunks and foreign buffers in place', async () => {
    pool = new HashPool(2)
    const small = chunk(16 * 1024)
    const r = await pool.digest(small, small.byteLength)
    assert.equal(r.buf, small)
    assert.deepEqual(r.digest, sha(small))
    const big = chunk(2 * 1024 * 1024)
    const view = big.subarray(1, 1024 * 1024 + 1) // does not own its ArrayBuffer
    const v = await pool.digest(view, view.byteLength)
    assert.equal(v.buf, view)
    assert.deepEqual(v.digest, sha(view))
  })

  it('hashes a buffer that cannot be transferred in place, and the pool goes on', async () => {
    pool = new HashPool(1)
    const pinned = chunk(1024 * 1024)
    markAsUntransferable(pinned.buffer)
    const r = await pool.digest(pinned, pinned.byteLength)
    assert.equal(r.buf, pinned)
    assert.deepEqual(r.digest, sha(pinned))
    const next = chunk(1024 * 1024)
    const copy = Buffer.from(next)
    assert.deepEqual((await pool.digest(next, next.byteLength)).digest, sha(copy))
  })

  it('keeps its queue bounded: past the limit, chunks are hashed in place', async () => {
    pool = new HashPool(1, 2)
    const bufs = Array.from({ length: 8 }, () => chunk(512 * 1024))
    const copies = bufs.map(b => Buffer.from(b))
    const results = await Promise.all(bufs.map(async b => await pool.digest(b, b.byteLength)))
    const offloaded = bufs.filter(b => b.buffer.byteLength === 0).length
    assert.ok(offloaded >= 1 && offloaded <= 2, `${offloaded} of 8 went to the single worker with room for 2`)
    results.forEach((r, i) => { assert.deepEqual(r.digest, sha(copies[i])) })
  })

  it('fails the jobs of a worker that dies, then starts a new one', async () => {
    pool = new HashPool(1)
    const first = pool.digest(chunk(1024 * 1024), 1024 * 1024)
    const workers = (pool as any).workers as Array<{ worker: { terminate: () => Promise<number> } }>
    await workers[0].worker.terminate()
    await assert.rejects(first, (err: Error) => /hash worker exited/.test(err.message))
    const buf = chunk(1024 * 1024)
    const copy = Buffer.from(buf)
    const r = await pool.digest(buf, buf.byteLength)
    assert.deepEqual(r.digest, sha(copy))
    assert.equal(buf.buffer.byteLength, 0, 'a new worker took it')
  })
})
