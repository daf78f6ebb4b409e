import { alignedMemory } from './direct-io.js'

/**
 * Chunk-sized buffers for one download, reused instead of allocated per chunk.
 *
 * A chunk is copied out of the stream's buffers as it arrives, so those die young (a cheap
 * scavenge frees them), and into a buffer that lives on (warm in cache, no page faults, no
 * garbage). Holding the stream's own buffers until the chunk is verified and written instead
 * let V8 promote every one of them to the old generation: the downloader then carried
 * 60-90 MB of dead received data between major GCs (measured on a 1 GiB get).
 * At most one buffer per chunk being received or written is out at a time.
 *
 * `aligned`: the buffers are cut from one page-aligned memory, so chunks can be written with
 * O_DIRECT (direct-io.ts). Where there is none, they are Node buffers as otherwise.
 */
export class BufferPool {
  private readonly free: Buffer[] = []
  private out = 0
  /** The aligned memory buffers are cut from: undefined until needed, null when unavailable. */
  private arena?: ArrayBuffer | null
  private cut = 0

  /** `max`: buffers alive at once (handed out plus kept), as many as chunks may be in flight,
   * so the pool holds no more than the download's byte budget. */
  constructor (readonly size: number, private readonly max: number, private readonly aligned = false) {}

  /** Bytes of the buffers handed out and kept. */
  get bytes (): number {
    return (this.out + this.free.length) * this.size
  }

  acquire (): Buffer {
    this.out++
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared 8 KiB pool
    return this.free.pop() ?? this.cutAligned() ?? Buffer.allocUnsafeSlow(this.size)
  }

  /** Give back a buffer from acquire() once nothing reads it any more (written or dropped). */
  release (buf: Uint8Array): void {
    this.out--
    if (this.out + this.free.length >= this.max || !(buf instanceof Buffer)) return
    if (buf.buffer === this.arena) this.free.push(Buffer.from(buf.buffer, buf.byteOffset, this.size))
    else if (buf.buffer.byteLength === this.size) this.free.push(Buffer.from(buf.buffer, 0, this.size))
  }

  private cutAligned (): Buffer | undefined {
    if (!this.aligned) return undefined
    if (this.arena === undefined) this.arena = alignedMemory(this.size * this.max) ?? null
    // no more than `max` are out at once, so the memory runs out only if the pool is misused
    if (this.arena == null || (this.cut + 1) * this.size > this.arena.byteLength) return undefined
    return Buffer.from(this.arena, this.cut++ * this.size, this.size)
  }
}
