/**
 * Chunk-sized buffers for one download, reused instead of allocated per chunk.
 *
 * A chunk is copied out of the stream's buffers as it arrives, so those die young (a cheap
 * scavenge frees them), and into a buffer that lives on (warm in cache, no page faults, no
 * garbage). Holding the stream's own buffers until the chunk is verified and written instead
 * let V8 promote every one of them to the old generation: the downloader then carried
 * 60-90 MB of dead received data between major GCs (measured on a 1 GiB get).
 * At most one buffer per chunk being received or written is out at a time.
 */
export class BufferPool {
  private readonly free: Buffer[] = []

  constructor (readonly size: number, private readonly maxFree: number) {}

  acquire (): Buffer {
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared 8 KiB pool
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size)
  }

  /** Give back a buffer from acquire() once nothing reads it any more (written or dropped). */
  release (buf: Uint8Array): void {
    if (this.free.length < this.maxFree && buf.buffer.byteLength === this.size && buf instanceof Buffer) {
      this.free.push(Buffer.from(buf.buffer, 0, this.size))
    }
  }
}
