import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { logger } from '@libp2p/logger'
import { HASH_OFFLOAD_MIN_BYTES, HASH_QUEUE_PER_WORKER, HASH_WORKERS } from './constants.js'

const log = logger('fsnode:transfer:hash')

/** The worker: hash the bytes it is given and hand the buffer straight back (transferred both
 * ways, so a chunk is never copied between threads). CommonJS, evaluated from this string, so
 * there is no second file to find at run time. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, buf, length }) => {
  const digest = createHash('sha256').update(new Uint8Array(buf, 0, length)).digest()
  parentPort.postMessage({ id, buf, digest }, [buf, digest.buffer])
})
`

interface Job {
  resolve: (r: { buf: Buffer, digest: Buffer }) => void
  reject: (err: Error) => void
}

class HashWorker {
  readonly worker: Worker
  readonly jobs = new Map<number, Job>()
  dead = false

  constructor (onExit: (w: HashWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'fsnode-hash' })
    this.worker.unref() // ref'd only while it has work: an idle pool never keeps a process alive
    this.worker.on('message', ({ id, buf, digest }: { id: number, buf: ArrayBuffer, digest: ArrayBuffer }) => {
      const job = this.jobs.get(id)
      this.jobs.delete(id)
      if (this.jobs.size === 0) this.worker.unref()
      job?.resolve({ buf: Buffer.from(buf), digest: Buffer.from(digest) })
    })
    const fail = (err: Error): void => {
      if (this.dead) return
      this.dead = true
      log('hash worker failed: %s', err.message)
      for (const job of this.jobs.values()) job.reject(err)
      this.jobs.clear()
      onExit(this)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', code => { fail(new Error(`hash worker exited with code ${code}`)) })
  }
}

/**
 * SHA-256 of received chunks on worker threads, so the downloader's event loop (which also
 * decrypts every connection) does not hash too. The chunk's buffer is transferred to a worker
 * and back: the caller must use the buffer it gets back, the one it passed is detached.
 * Small chunks and an overfull queue are hashed in place: a round trip costs more than hashing
 * a few KiB, and the queue stays bounded whatever the callers do.
 */
export class HashPool {
  private readonly workers: HashWorker[] = []
  private nextId = 0

  constructor (readonly size = defaultWorkers(), private readonly perWorker = HASH_QUEUE_PER_WORKER, private readonly minBytes = HASH_OFFLOAD_MIN_BYTES) {}

  /** The SHA-256 of `buf[0, length)`, and the buffer holding those bytes from now on. `buf`
   * must own its whole ArrayBuffer (Buffer.allocUnsafeSlow), else it is hashed in place. */
  async digest (buf: Buffer, length: number): Promise<{ buf: Buffer, digest: Buffer }> {
    const w = length >= this.minBytes && buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength ? this.pick() : undefined
    if (w == null) return { buf, digest: createHash('sha256').update(buf.subarray(0, length)).digest() }
    const id = this.nextId++
    const result = new Promise<{ buf: Buffer, digest: Buffer }>((resolve, reject) => { w.jobs.set(id, { resolve, reject }) })
    if (w.jobs.size === 1) w.worker.ref()
    try {
      w.worker.postMessage({ id, buf: buf.buffer, length }, [buf.buffer as ArrayBuffer])
    } catch (err: any) {
      // not transferable after all (nothing was sent): hash it here
      log('cannot hand a chunk to a hash worker: %s', err.message)
      w.jobs.delete(id)
      if (w.jobs.size === 0) w.worker.unref()
      return { buf, digest: createHash('sha256').update(buf.subarray(0, length)).digest() }
    }
    return await result
  }

  /** Stop every worker (tests; a process exits without it). */
  async close (): Promise<void> {
    const all = this.workers.splice(0)
    await Promise.all(all.map(async w => { w.dead = true; await w.worker.terminate() }))
  }

  /** The least busy worker with room, starting one while fewer than `size` run. */
  private pick (): HashWorker | undefined {
    let best: HashWorker | undefined
    for (const w of this.workers) if (best == null || w.jobs.size < best.jobs.size) best = w
    if ((best == null || best.jobs.size > 0) && this.workers.length < this.size) {
      try {
        best = new HashWorker(dead => { this.workers.splice(this.workers.indexOf(dead) >>> 0, 1) })
        this.workers.push(best)
      } catch (err: any) {
        log('cannot start a hash worker: %s', err.message)
      }
    }
    return best != null && best.jobs.size < this.perWorker ? best : undefined
  }
}

function defaultWorkers (): number {
  return Math.max(1, Math.min(HASH_WORKERS, availableParallelism() - 1))
}

let shared: HashPool | undefined

/** One pool per process, shared by every download. */
export function sharedHashPool (): HashPool {
  shared ??= new HashPool()
  return shared
}
