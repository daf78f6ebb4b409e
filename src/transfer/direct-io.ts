import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { writeAll } from './disk.js'
import type { FileHandle } from 'node:fs/promises'

/**
 * Writes of big downloads that bypass the page cache (O_DIRECT, Linux).
 *
 * Copying a download into fresh page-cache pages is the most expensive thing a get does on a
 * VM: writing 1 GiB from Node in 1 MiB pieces cost 3.5-10.4 CPU-s of system time here, and
 * the same writes with O_DIRECT 0.15-0.17 CPU-s (bench/HISTORY.md, tenth pass). On two cores
 * that CPU is taken from Noise and hashing. A downloaded file is written once and seldom read
 * right after, so the cache gains little from holding it.
 *
 * O_DIRECT wants the memory, the length and the file offset aligned to the device's block.
 * Node's own buffers are only 16-byte aligned, so big downloads take their chunk buffers from
 * page-aligned memory (`alignedMemory`). Whatever cannot be written directly (the last, short
 * chunk; a file system without O_DIRECT; an unaligned buffer) is written through the page
 * cache as before: the same file, the same fsync.
 */

const log = logger('fsnode:transfer:direct')

/** Offsets, lengths and memory of direct writes are multiples of this: the largest logical
 * block of common devices (512 or 4096 bytes). */
export const DIRECT_IO_ALIGN = 4096

/** Files from this size on are written directly. Below it, a file is a few chunks: the second
 * open and the aligned buffers would cost about what the page cache copy does. */
export const DIRECT_IO_MIN_BYTES = 4 * 1024 * 1024

// undefined on Windows and macOS, where this falls back to the page cache
const { O_WRONLY, O_DIRECT } = constants as typeof constants & { O_DIRECT?: number }
const WASM_PAGE = 64 * 1024

/** True when writes of `chunkSize`-byte chunks of a `size`-byte file may go direct. */
export function directEligible (size: number, chunkSize: number): boolean {
  return O_DIRECT != null && process.platform === 'linux' && size >= DIRECT_IO_MIN_BYTES && chunkSize % DIRECT_IO_ALIGN === 0
}

/**
 * `bytes` of zeroed, page-aligned memory, or undefined where there is none to be had.
 * A WebAssembly memory is mapped pages of its own (V8 reserves it with mmap), where an
 * ArrayBuffer comes from malloc at 16 bytes past a page. Its pages are committed as they are
 * touched, like any buffer's.
 */
export function alignedMemory (bytes: number): ArrayBuffer | undefined {
  const pages = Math.ceil(bytes / WASM_PAGE)
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer
  } catch (err) {
    log('no aligned memory for %d bytes (%s); writing through the page cache', bytes, (err as Error).message)
    return undefined
  }
}

/** A buffer of `size` bytes in page-aligned memory where there is any, else a Node buffer. */
export function alignedBuffer (size: number): Buffer {
  const mem = alignedMemory(size)
  return mem == null ? Buffer.allocUnsafeSlow(size) : Buffer.from(mem, 0, size)
}

/**
 * Direct writes of one file: a second handle on the file `fh` has open, reopened with O_DIRECT
 * through /proc/self/fd, which names the open file itself, not a path someone could swap.
 * An fsync of either handle covers both writes: it syncs the file.
 */
export class DirectWriter {
  private constructor (private handle: FileHandle | undefined, private readonly name: string) {}

  /** Undefined when the file does not qualify (`directEligible`) or its file system refuses
   * O_DIRECT (tmpfs before Linux 6.6, some FUSE file systems). */
  static async open (fh: FileHandle, name: string, size: number, chunkSize: number): Promise<DirectWriter | undefined> {
    if (!directEligible(size, chunkSize)) return undefined
    let handle: FileHandle
    try {
      handle = await open(`/proc/self/fd/${fh.fd}`, O_WRONLY | (O_DIRECT ?? 0))
    } catch (err) {
      log('%s: no direct writes: %s', name, (err as Error).message)
      return undefined
    }
    try {
      const [a, b] = await Promise.all([fh.stat(), handle.stat()])
      if (a.dev === b.dev && a.ino === b.ino) return new DirectWriter(handle, name)
    } catch {}
    await handle.close().catch(() => {})
    return undefined
  }

  /** False while direct writes go on: after a refusal, or once closed. */
  get active (): boolean {
    return this.handle != null
  }

  /**
   * Write `data` at `pos` directly; false when it was not written, for the caller to write it
   * through the page cache (`directWritable`). Memory alignment cannot be seen from JavaScript:
   * a write from unaligned memory fails with EINVAL, which ends direct writes.
   */
  async write (data: Uint8Array, pos: number): Promise<boolean> {
    const handle = this.handle
    if (handle == null || !directWritable(data, pos)) return false
    try {
      await writeAll(handle, data, pos)
      return true
    } catch (err) {
      // another write ended direct writes meanwhile (closing the handle under this one)
      if (this.handle !== handle) return false
      if ((err as { code?: string }).code !== 'EINVAL') throw err
      log('%s: a direct write was refused (%s); writing through the page cache', this.name, (err as Error).message)
      await this.close()
      return false
    }
  }

  /** Waits for the writes still on the handle. */
  async close (): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close().catch(() => {})
  }
}

/** True when `data` at `pos` is whole blocks at a block offset, as O_DIRECT needs. */
export function directWritable (data: Uint8Array, pos: number): boolean {
  return data.byteLength > 0 && data.byteLength % DIRECT_IO_ALIGN === 0 && pos % DIRECT_IO_ALIGN === 0
}
