import { sep } from 'node:path'
import { FILE_ID_LENGTH, packedFileId, packedManifest } from '../wire/file-manifest.js'
import { RECORD_SLAB_BYTES } from './constants.js'
import { pathInside } from './roots.js'
import type { Manifest } from '../wire/file-manifest.js'
import type { FileKey } from './file-key.js'
import type { Root } from './roots.js'
import type { SharedFile } from './types.js'
import type { CID } from 'multiformats/cid'

/** A file's numbers, its file id and manifest as a record in a slab: size, mtime, ctime, inode,
 * device (doubles), the length of what follows (u32), the last scan that saw it (u32, see
 * mark()), the file id's bytes, the manifest's. */
const SIZE = 0
const MTIME = 8
const CTIME = 16
const INO = 24
const DEV = 32
const PACKED_LENGTH = 40
const SEEN = 44
const PACKED = 48

let slab = Buffer.allocUnsafeSlow(RECORD_SLAB_BYTES)
let used = 0

/** Room for a record of `n` bytes in the current slab (a new one when it is full). */
function reserve (n: number): number {
  if (used + n > slab.byteLength) {
    slab = Buffer.allocUnsafeSlow(Math.max(RECORD_SLAB_BYTES, n))
    used = 0
  }
  const at = used
  used += (n + 7) & ~7
  return at
}

/**
 * A shared file as the index keeps it: a name, a root, and a record of its numbers, file id and
 * manifest in a slab shared with other files; the objects (CID, Manifest, path) are made when
 * asked for. At 200,000 files a file's own fields, two boxed doubles and a Uint8Array over its
 * manifest were ~200 bytes of heap each, copied by every young-generation collection that found
 * them alive; the record is off the heap.
 */
export class IndexedFile implements SharedFile {
  private readonly slab: Buffer
  private readonly at: number
  /** Only when the path is not the one made from root and name (see pathOf). */
  private readonly ownPath: string | undefined

  /** `manifest`: a Manifest, or (a restart, see HashCache.entries()) the hex of its file id's
   * bytes then its own. `path` undefined: the one made from root and name (a restart knows it is). */
  constructor (readonly name: string, readonly root: Root, path: string | undefined, key: FileKey & { mtimeMs: number }, manifest: Manifest | string) {
    const length = typeof manifest === 'string' ? manifest.length >>> 1 : FILE_ID_LENGTH + manifest.bytes.byteLength
    const at = reserve(PACKED + length)
    const s = this.slab = slab
    this.at = at
    s.writeDoubleLE(key.size, at + SIZE)
    s.writeDoubleLE(key.mtimeMs, at + MTIME)
    s.writeDoubleLE(key.ctimeMs, at + CTIME)
    s.writeDoubleLE(key.ino, at + INO)
    s.writeDoubleLE(key.dev, at + DEV)
    s.writeUInt32LE(length, at + PACKED_LENGTH)
    s.writeUInt32LE(0, at + SEEN)
    if (typeof manifest === 'string') s.write(manifest, at + PACKED, 'hex')
    else {
      s.set(manifest.fileId.bytes, at + PACKED)
      s.set(manifest.bytes, at + PACKED + FILE_ID_LENGTH)
    }
    this.ownPath = path === undefined || isPathOf(root, name, path) ? undefined : path
  }

  get size (): number {
    return this.slab.readDoubleLE(this.at + SIZE)
  }

  get mtimeMs (): number {
    return this.slab.readDoubleLE(this.at + MTIME)
  }

  get ctimeMs (): number {
    return this.slab.readDoubleLE(this.at + CTIME)
  }

  get ino (): number {
    return this.slab.readDoubleLE(this.at + INO)
  }

  get dev (): number {
    return this.slab.readDoubleLE(this.at + DEV)
  }

  get path (): string {
    return this.ownPath ?? pathOf(this.root, this.name)
  }

  /** path === `path`, without making the path (once per file in a scan of the whole share). */
  isAt (path: string): boolean {
    return this.ownPath != null ? this.ownPath === path : isPathOf(this.root, this.name, path)
  }

  get within (): string {
    return this.root.real
  }

  get fileId (): CID {
    return packedFileId(this.packed)
  }

  get fileIdBytes (): Uint8Array {
    return this.slab.subarray(this.at + PACKED, this.at + PACKED + FILE_ID_LENGTH)
  }

  /** The file id's bytes as a one-byte string (the index's map key), read straight from the
   * record: no Uint8Array or Buffer view made per file. */
  get idKey (): string {
    return this.slab.toString('latin1', this.at + PACKED, this.at + PACKED + FILE_ID_LENGTH)
  }

  /** Record that the walk numbered `walk` (see nextMark()) found this file as indexed. The
   * highest number stays: a walk that overlaps a later one never hides the later one's mark. */
  mark (walk: number): void {
    if (walk > this.slab.readUInt32LE(this.at + SEEN)) this.slab.writeUInt32LE(walk, this.at + SEEN)
  }

  /** True when walk `walk`, or a later one, found this file. */
  seenSince (walk: number): boolean {
    return this.slab.readUInt32LE(this.at + SEEN) >= walk
  }

  /** A number from the file id's digest bytes (see idHash()): the index's map key. */
  get idHash (): number {
    return idHash(this.slab, this.at + PACKED)
  }

  /** True when `other` has the same file id (bytes compared in place). */
  sameId (other: IndexedFile): boolean {
    return this.slab.compare(other.slab, other.at + PACKED, other.at + PACKED + FILE_ID_LENGTH, this.at + PACKED, this.at + PACKED + FILE_ID_LENGTH) === 0
  }

  /** True when the file id's bytes are `bytes`. */
  hasId (bytes: Uint8Array): boolean {
    return bytes.byteLength === FILE_ID_LENGTH && this.slab.compare(bytes, 0, FILE_ID_LENGTH, this.at + PACKED, this.at + PACKED + FILE_ID_LENGTH) === 0
  }

  /** True when the file id's bytes are the one-byte string `key` (see idKey). */
  hasIdKey (key: string): boolean {
    if (key.length !== FILE_ID_LENGTH) return false
    for (let i = 0; i < FILE_ID_LENGTH; i++) if (key.charCodeAt(i) !== this.slab[this.at + PACKED + i]) return false
    return true
  }

  get manifest (): Manifest {
    return packedManifest(this.packed)
  }

  /** The file id's bytes then the manifest's (see packedManifest()). */
  private get packed (): Uint8Array {
    return this.slab.subarray(this.at + PACKED, this.at + PACKED + this.slab.readUInt32LE(this.at + PACKED_LENGTH))
  }
}

let marks = 0

/** A new number for IndexedFile.mark(), above every one given before: a scan's, or the
 * watcher's first walk's. */
export function nextMark (): number {
  return ++marks
}

/** A number from a file id (bytes at `at`; its bytes 4-7, the digest's first: already
 * uniform): the index's map key. A malformed id from the wire (too short) gives 0. Ids differ
 * where these agree, so a match is checked on the whole id. */
export function idHash (bytes: Uint8Array, at = 0): number {
  if (bytes.byteLength < at + ID_HASH_END) return 0
  return (bytes[at + 4] | bytes[at + 5] << 8 | bytes[at + 6] << 16 | bytes[at + 7] << 24) & ID_HASH_MASK
}

/** idHash() of a file id given as a one-byte string (see IndexedFile.idKey). */
export function idHashOfKey (key: string): number {
  if (key.length < ID_HASH_END) return 0
  return (key.charCodeAt(4) | key.charCodeAt(5) << 8 | key.charCodeAt(6) << 16 | key.charCodeAt(7) << 24) & ID_HASH_MASK
}

const ID_HASH_END = 8
/** 30 bits: a small integer (no heap number) on every V8 build. */
const ID_HASH_MASK = 0x3fffffff

/** pathOf(root, name) === path, without making the string (once per file on a restart). */
function isPathOf (root: Root, name: string, path: string): boolean {
  if (root.kind === 'file' || sep !== '/') return pathOf(root, name) === path
  const rel = root.name === '' ? name : name.slice(root.name.length + 1)
  if (rel === '') return path === root.real
  const base = root.real.endsWith(sep) ? root.real.length : root.real.length + 1
  return path.length === base + rel.length && path.startsWith(root.real) && (base === root.real.length || path[root.real.length] === sep) && path.endsWith(rel)
}

/** The path of `name` under `root`, as the scanner reaches it: the inverse of nameFor(). */
function pathOf (root: Root, name: string): string {
  if (root.kind === 'file') return root.real
  return pathInside(root.real, root.name === '' ? name : name.slice(root.name.length + 1))
}
