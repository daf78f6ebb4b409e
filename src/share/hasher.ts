import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { HASH_READ_SIZE } from './constants.js'
import { FileChangedError, NotAFileError, OtherFileError } from './errors.js'
import { keyOf, openedInside, sameFile, sameKey } from './file-key.js'
import { HASH_LENGTH, Manifest, chunkCount } from '../wire/file-manifest.js'
import { chunkSizeFor } from './chunk-size.js'
import type { FileKey } from './file-key.js'
import type { Hash } from 'node:crypto'

export interface HashOptions {
  signal?: AbortSignal
  /** Bytes per read (default HASH_READ_SIZE); tests use odd sizes to cross chunk boundaries. */
  readSize?: number
  /** The file the scan found at `path` (device and inode): the opened handle must be that file,
   * else OtherFileError. A folder along the path may have been swapped for a symlink since. */
  expect?: Pick<FileKey, 'dev' | 'ino'>
  /** The real path of the share root: the opened file must lie inside it (and outside
   * `exclude`), else OtherFileError. */
  within?: string
  exclude?: readonly string[]
}

export interface HashedFile extends FileKey {
  /** Shown to peers only; the key above says whether the file changed. */
  mtimeMs: number
  manifest: Manifest
}

/** Read buffers are reused across files (never handed to anyone else), so hashing many small
 * files does not allocate 4 MiB each time. Two per file in flight: one read, one hashed. */
const pool: Buffer[] = []
const POOL_MAX = 8

function takeBuffer (size: number): Buffer {
  if (size !== HASH_READ_SIZE) return Buffer.allocUnsafe(size)
  return pool.pop() ?? Buffer.allocUnsafeSlow(HASH_READ_SIZE)
}

function giveBuffer (buf: Buffer): void {
  if (buf.byteLength === HASH_READ_SIZE && pool.length < POOL_MAX) pool.push(buf)
}

/** Hash a file into its manifest. See hashFileStat. */
export async function hashFile (path: string, options: HashOptions = {}): Promise<Manifest> {
  return (await hashFileStat(path, options)).manifest
}

/**
 * Hash a file into its manifest, in bounded memory, and return the key (size, ctime, device,
 * inode) the manifest belongs to. The next read is in flight while the current one is hashed,
 * so disk and CPU overlap. Throws FileChangedError when the file changed while it was read: a
 * manifest of a half-written file must never be announced; OtherFileError when the opened file
 * is not `expect`, or not inside `within`.
 */
export async function hashFileStat (path: string, options: HashOptions = {}): Promise<HashedFile> {
  const { signal } = options
  signal?.throwIfAborted()
  const fh = await open(path, 'r')
  const buffers: Buffer[] = []
  let pending: Promise<number> | undefined
  try {
    const before = await fh.stat()
    if (!before.isFile()) throw new NotAFileError(`not a regular file: ${path}`)
    if (options.expect != null && !sameFile(before, options.expect)) {
      throw new OtherFileError(`${path} is no longer the file the scan found inside the share`)
    }
    if (options.within != null && !openedInside(fh, options.within, options.exclude)) {
      throw new OtherFileError(`${path} leads out of the share`)
    }
    const { size } = before
    // a small file gets one buffer of its own size, a large one two pooled read buffers
    const readSize = Math.max(1, Math.min(options.readSize ?? HASH_READ_SIZE, size))
    buffers.push(takeBuffer(readSize))
    if (size > readSize) buffers.push(takeBuffer(readSize))
    const chunkSize = chunkSizeFor(size)
    const hashes = new Uint8Array(chunkCount(size, chunkSize) * HASH_LENGTH)

    const readAt = async (buf: Buffer, pos: number): Promise<number> =>
      await fh.read(buf, 0, Math.min(buf.byteLength, size - pos), pos).then(r => r.bytesRead)

    let pos = 0 // bytes read and hashed so far
    let chunk = 0
    let inChunk = 0
    let hash: Hash = createHash('sha256')
    let turn = 0
    if (size > 0) pending = readAt(buffers[0], 0)
    while (pending != null) {
      const n = await pending
      pending = undefined
      if (n === 0) throw new FileChangedError(`file shrank while it was hashed: ${path}`)
      const buf = buffers[turn]
      const next = pos + n
      turn = (turn + 1) % buffers.length
      // with two buffers, start the next read before hashing this one
      const more = next < size
      if (more) signal?.throwIfAborted()
      if (more && buffers.length > 1) pending = readAt(buffers[turn], next)
      let off = 0
      while (off < n) {
        const take = Math.min(n - off, chunkSize - inChunk)
        hash.update(buf.subarray(off, off + take))
        off += take
        inChunk += take
        if (inChunk === chunkSize || pos + off === size) {
          hashes.set(hash.digest(), chunk * HASH_LENGTH)
          chunk++
          inChunk = 0
          hash = createHash('sha256')
        }
      }
      pos = next
      if (more && buffers.length === 1) pending = readAt(buf, next)
    }

    // by path, not by handle: a file replaced by a rename has a new inode (and the same device
    // and inode mean the same file, so its size and ctime are what the handle would report)
    const after = await stat(path)
    if (!sameKey(keyOf(before), keyOf(after))) {
      throw new FileChangedError(`file changed while it was hashed: ${path}`)
    }
    return { ...keyOf(before), mtimeMs: before.mtimeMs, manifest: Manifest.create(size, chunkSize, hashes) }
  } finally {
    // a read still in flight writes into its buffer: wait for it before reusing the buffer
    if (pending != null) await pending.catch(() => {})
    buffers.forEach(giveBuffer)
    await fh.close()
  }
}
