import { encode as encodeVarint, encodingLength } from 'uint8-varint'
import { FileEntry } from '../wire/index.js'
import { bytes, fileFieldsLength, varint, writeFileFields } from './encoded.js'
import type { FileFields } from './encoded.js'

// IndexRequest's fields as their tag bytes (field number << 3 | wire type); src/wire/index.proto
// defines them (FileEntry's are written by writeFileFields, the same as ListEntry's)
const TYPE = 1 << 3
const REPLACE = 2 << 3
const FILES = 3 << 3 | 2
const ADDRS = 4 << 3 | 2
// IndexRequest.Type.ANNOUNCE's number (protons' enums are strings)
const ANNOUNCE = 1
// room before the body for its length prefix: a frame's length fits in 4 varint bytes
const PREFIX_ROOM = 4

/** A file as it goes into an announce frame: read at once, never kept (so a reader may hand the
 * same object over with new values each time). */
export type AnnounceEntry = FileFields

/** An entry that does not fit in an empty frame. */
export class AnnounceEntryError extends Error {
  static readonly code = 'AnnounceEntryError'
  override name = 'AnnounceEntryError'
}

/**
 * IndexRequest ANNOUNCE messages written straight into their length-prefixed frames, with the
 * bytes protons writes for the same message (type, replace, files, addrs, in field order). Built
 * as FileEntry objects and encoded, each 1 MiB frame held ~12,000 entries and the encoder's
 * objects alive across its round trip (most of a 200,000-file share's peak heap was such
 * garbage); here an entry is copied into the frame's bytes as it is read.
 */
export class AnnounceFrameWriter {
  private buf = Buffer.alloc(0)
  private pos = 0
  private end = 0
  private addrs: Uint8Array[] = []
  private count = 0

  /** `budget`: the most bytes a frame's message may take. */
  constructor (private readonly budget: number) {}

  /** Entries in the frame being written. */
  get entries (): number {
    return this.count
  }

  /** Start a frame; `replace` and `addrs` go into it (the addresses after the entries). */
  start (replace: boolean, addrs: Uint8Array[]): void {
    const addrBytes = addrs.reduce((n, a) => n + 1 + encodingLength(a.byteLength) + a.byteLength, 0)
    // a new buffer each frame: the stream keeps a reference to what it was given to send
    this.buf = Buffer.allocUnsafe(PREFIX_ROOM + this.budget)
    this.end = this.buf.byteLength - addrBytes
    this.addrs = addrs
    this.count = 0
    this.pos = PREFIX_ROOM
    this.buf[this.pos++] = TYPE
    this.pos = varint(this.buf, this.pos, ANNOUNCE)
    if (replace) {
      this.buf[this.pos++] = REPLACE
      this.buf[this.pos++] = 1
    }
  }

  /** Write `e` into the frame; false when the frame is too full for it (it holds one entry at
   * least: an entry that does not fit in an empty frame throws). */
  add (e: AnnounceEntry): boolean {
    // numbers that are not uint64 integers and names with a lone surrogate (never from a share:
    // a test's hostile entry) are written by protons, so the coordinator gets what it always did
    // (Buffer writes a lone surrogate as U+FFFD, protons as its own three bytes)
    const odd = isUint64(e.size) && isUint64(e.mtime) && e.name.isWellFormed() ? undefined : FileEntry.encode(e as FileEntry)
    const nameBytes = Buffer.byteLength(e.name)
    const length = odd?.byteLength ?? fileFieldsLength(e, nameBytes)
    if (this.pos + 1 + encodingLength(length) + length > this.end) {
      if (this.count === 0) throw new AnnounceEntryError(`an entry of ${length} bytes does not fit in a frame`)
      return false
    }
    const buf = this.buf
    let pos = this.pos
    buf[pos++] = FILES
    pos = varint(buf, pos, length)
    if (odd != null) {
      buf.set(odd, pos)
      pos += odd.byteLength
    } else {
      pos = writeFileFields(buf, pos, e, nameBytes)
    }
    this.pos = pos
    this.count++
    return true
  }

  /** The frame: its length prefix then the message. */
  finish (): Uint8Array {
    let pos = this.pos
    for (const a of this.addrs) pos = bytes(this.buf, pos, ADDRS, a, true)
    const length = pos - PREFIX_ROOM
    const start = PREFIX_ROOM - encodingLength(length)
    encodeVarint(length, this.buf, start)
    const frame = this.buf.subarray(start, pos)
    this.buf = Buffer.alloc(0)
    this.addrs = []
    return frame
  }
}

function isUint64 (n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}
