import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
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
 * A second handle on the file `fh` has open, for direct writes: reopened through
 * /proc/self/fd, which names the open file itself, not a path someone could swap. Undefined
 * where the file system refuses O_DIRECT (tmpfs before Linux 6.6, some FUSE file systems).
 */
export async function openDirect (fh: FileHandle): Promise<FileHandle | undefined> {
  if (O_DIRECT == null) return undefined
  let direct: FileHandle
  try {
    direct = await open(`/proc/self/fd/${fh.fd}`, O_WRONLY | O_DIRECT)
  } catch (err) {
    log('no direct writes: %s', (err as Error).message)
    return undefined
  }
  try {
    const [a, b] = await Promise.all([fh.stat(), direct.stat()])
    if (a.dev === b.dev && a.ino === b.ino) return direct
  } catch {}
  await direct.close().catch(() => {})
  return undefined
}

/** True when `data` at `pos` meets O_DIRECT's alignment. Memory alignment cannot be seen from
 * JavaScript; a write from unaligned memory fails with EINVAL, which `isAlignmentError` tells. */
export function directWritable (data: Uint8Array, pos: number): boolean {
  return data.byteLength > 0 && data.byteLength % DIRECT_IO_ALIGN === 0 && pos % DIRECT_IO_ALIGN === 0
}

export function isAlignmentError (err: unknown): boolean {
  return (err as { code?: string })?.code === 'EINVAL'
}
