import { hash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { Manifest as ManifestMessage } from './manifest.js'
import { MAX_MANIFEST_BYTES } from './constants.js'
import { InvalidManifestError } from './errors.js'

export const MANIFEST_VERSION = 1
export const HASH_LENGTH = 32

/** Largest chunk a manifest may declare (share/chunk-size.ts picks the size of each file's). */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024

export function chunkCount (fileSize: number, chunkSize: number): number {
  return fileSize === 0 ? 0 : Math.ceil(fileSize / chunkSize)
}

/** A decoded, checked manifest plus its encoded bytes and file id. */
export class Manifest {
  readonly size: number
  readonly chunkSize: number
  readonly hashes: Uint8Array
  readonly bytes: Uint8Array
  readonly fileId: CID

  private constructor (size: number, chunkSize: number, hashes: Uint8Array, bytes: Uint8Array, fileId: CID) {
    this.size = size
    this.chunkSize = chunkSize
    this.hashes = hashes
    this.bytes = bytes
    this.fileId = fileId
  }

  get chunks (): number {
    return chunkCount(this.size, this.chunkSize)
  }

  /** Byte length of chunk `index` (the last one may be short). */
  chunkLength (index: number): number {
    if (index < 0 || index >= this.chunks) throw new RangeError(`chunk ${index} out of range 0..${this.chunks - 1}`)
    return Math.min(this.chunkSize, this.size - index * this.chunkSize)
  }

  chunkHash (index: number): Uint8Array {
    return this.hashes.subarray(index * HASH_LENGTH, (index + 1) * HASH_LENGTH)
  }

  /** Bytes this process decoded and checked before (a PackedManifest's): no checks, no hash. */
  static trusted (bytes: Uint8Array, fileId: CID): Manifest {
    const { size, chunkSize, hashes } = ManifestMessage.decode(bytes)
    return new Manifest(size, chunkSize, hashes, bytes, fileId)
  }

  /** Build from the per-chunk hashes of a file. */
  static create (size: number, chunkSize: number, hashes: Uint8Array): Manifest {
    return Manifest.decode(ManifestMessage.encode({ version: MANIFEST_VERSION, size, chunkSize, hashes: hashes as Uint8Array<ArrayBuffer> }))
  }

  /** Decode bytes from disk or the network; with `expected`, they must hash to that file id. */
  static decode (input: Uint8Array, expected?: CID): Manifest {
    if (input.byteLength > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`manifest of ${input.byteLength} bytes is too large`)
    const [id, bytes] = withFileId(input)
    if (expected != null && !id.equals(expected)) {
      throw new InvalidManifestError(`manifest does not match file id ${String(expected)}`)
    }
    let msg: ManifestMessage
    try {
      msg = ManifestMessage.decode(bytes)
    } catch (err: any) {
      throw new InvalidManifestError(`manifest cannot be decoded: ${err.message}`)
    }
    const { version, size, chunkSize, hashes } = msg
    if (version !== MANIFEST_VERSION) throw new InvalidManifestError(`unsupported manifest version ${version}`)
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidManifestError('manifest size is invalid')
    if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) throw new InvalidManifestError(`manifest chunk size ${chunkSize} is invalid`)
    if (hashes.byteLength !== chunkCount(size, chunkSize) * HASH_LENGTH) {
      throw new InvalidManifestError('manifest hash list does not match its size and chunk size')
    }
    return new Manifest(size, chunkSize, hashes, bytes, id)
  }
}

/* A manifest "packed": its file id's bytes, then its own, in one buffer (a shared file's record
 * keeps them so, see share/shared-file.ts): the objects (CID, digest, views) are made when asked
 * for, from these. */

/** The file id's bytes of a packed manifest, without making a CID. */
function packedFileIdBytes (packed: Uint8Array): Uint8Array {
  return packed.subarray(0, FILE_ID_LENGTH)
}

export function packedFileId (packed: Uint8Array): CID {
  return cidOf(packedFileIdBytes(packed))
}

export function packedManifest (packed: Uint8Array): Manifest {
  return Manifest.trusted(packed.subarray(FILE_ID_LENGTH), packedFileId(packed))
}

/** CIDv1, raw codec, sha2-256 multihash of 32 bytes: the prefix of every file id's bytes. */
const FILE_ID_PREFIX = Uint8Array.of(0x01, raw.code, sha256.code, HASH_LENGTH)
/** Bytes of a file id (a CID of FILE_ID_PREFIX and a sha-256). */
export const FILE_ID_LENGTH = FILE_ID_PREFIX.length + HASH_LENGTH
/** Up to this size, a manifest and its file id share a slice of one pooled buffer. */
const POOLED_MAX = 1024

/**
 * The file id of a manifest and a copy of its bytes, both in one small buffer. A node sharing
 * 200,000 files keeps one manifest and one file id per file: made the usual way (multiformats'
 * digest, then the CID's bytes, then the manifest as read from SQLite) that was four
 * ArrayBuffers per file, ~600 bytes; here small ones are slices of Node's buffer pool.
 */
function withFileId (manifestBytes: Uint8Array): [CID, Uint8Array] {
  const buf = manifestBytes.byteLength <= POOLED_MAX
    ? Buffer.allocUnsafe(FILE_ID_LENGTH + manifestBytes.byteLength)
    : Buffer.allocUnsafeSlow(FILE_ID_LENGTH + manifestBytes.byteLength)
  const all = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  all.set(FILE_ID_PREFIX, 0)
  // the one-shot hash(): a third of createHash()'s cost on a manifest of a few dozen bytes
  all.set(hash('sha256', manifestBytes, 'buffer'), FILE_ID_PREFIX.length)
  all.set(manifestBytes, FILE_ID_LENGTH)
  return [cidOf(all.subarray(0, FILE_ID_LENGTH)), all.subarray(FILE_ID_LENGTH)]
}

/** The file id in these 36 bytes, without a copy (CID.decode would encode its bytes again). */
function cidOf (bytes: Uint8Array): CID {
  return new CID(1, raw.code, Digest.decode(bytes.subarray(2)), bytes) as CID
}

/** Parse a file id given by a user or a peer; throws InvalidFileIdError. */
