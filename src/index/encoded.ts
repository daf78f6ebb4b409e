import { encode as encodeVarint, encodingLength } from 'uint8-varint'
import type { ListedEntry } from './types.js'
import { ENTRIES as TAG_ENTRIES, FILE_ID as TAG_FILE_ID, MTIME as TAG_MTIME, NAME as TAG_NAME, NEXT_CURSOR as TAG_NEXT_CURSOR, PEER_ID as TAG_PEER_ID, PROVIDERS as TAG_PROVIDERS, SIZE as TAG_SIZE } from './page-tags.js'

/** An entry to write, with its ListEntry's encoded length and its name's UTF-8 length. */
export interface SizedEntry { entry: ListedEntry, peerId: Uint8Array, nameBytes: number, length: number }

/** An entry's ListEntry size as written: from sizedEntry(), for encodePage(). */
export function sizedEntry (entry: ListedEntry, nameBytes: number, peerId: Uint8Array): SizedEntry {
  const length = fileFieldsLength(entry, nameBytes) + bytesField(peerId.byteLength)
  return { entry, peerId, nameBytes, length }
}

/** A response already in wire form: its length-prefixed frame. */
export class EncodedResponse {
  constructor (readonly frame: Uint8Array) {}
}

/**
 * A LIST/SEARCH response written straight into its length-prefixed frame, with the bytes
 * protons writes for the same IndexResponse (status OK, entries, nextCursor, providers: the
 * encoded Provider messages). Built as messages and then encoded, a 500-entry page cost a
 * ListEntry object per entry, the encoder's own work and a copy of the whole answer for the
 * length prefix; this is one pass into one buffer.
 */
export function encodePage (entries: SizedEntry[], cursor: string, providers: Uint8Array[]): EncodedResponse {
  const cursorBytes = Buffer.byteLength(cursor)
  let body = bytesField(cursorBytes)
  for (const e of entries) body += 1 + encodingLength(e.length) + e.length
  for (const p of providers) body += 1 + encodingLength(p.byteLength) + p.byteLength
  const buf = Buffer.allocUnsafe(encodingLength(body) + body)
  let pos = varint(buf, 0, body)
  for (const { entry, peerId, nameBytes, length } of entries) {
    buf[pos++] = TAG_ENTRIES
    pos = varint(buf, pos, length)
    pos = writeFileFields(buf, pos, entry, nameBytes)
    pos = bytes(buf, pos, TAG_PEER_ID, peerId)
  }
  if (cursorBytes > 0) {
    buf[pos++] = TAG_NEXT_CURSOR
    pos = varint(buf, pos, cursorBytes)
    pos += buf.write(cursor, pos, cursorBytes, 'utf8')
  }
  for (const p of providers) pos = bytes(buf, pos, TAG_PROVIDERS, p, true)
  return new EncodedResponse(buf.subarray(0, pos))
}

/** The fields a FileEntry and a ListEntry share, in the same numbers (name, fileId, size,
 * mtime): their encoded size. */
export function fileFieldsLength (e: FileFields, nameBytes: number): number {
  return bytesField(nameBytes) + bytesField(e.fileId.byteLength) + numberField(e.size) + numberField(e.mtime)
}

/** Those fields written at `pos` (the name's UTF-8 length given); the position after them. */
export function writeFileFields (buf: Buffer, pos: number, e: FileFields, nameBytes: number): number {
  if (nameBytes > 0) {
    buf[pos++] = TAG_NAME
    pos = varint(buf, pos, nameBytes)
    pos += buf.write(e.name, pos, nameBytes, 'utf8')
  }
  pos = bytes(buf, pos, TAG_FILE_ID, e.fileId)
  if (e.size !== 0) { buf[pos++] = TAG_SIZE; pos = varint(buf, pos, e.size) }
  if (e.mtime !== 0) { buf[pos++] = TAG_MTIME; pos = varint(buf, pos, e.mtime) }
  return pos
}

/** A file as FileEntry and ListEntry carry it (the announce writer's entries too). */
export interface FileFields { name: string, fileId: Uint8Array, size: number, mtime: number }

/** A length-delimited field's size: omitted when empty, as protons does (proto3 defaults). */
export function bytesField (length: number): number {
  return length === 0 ? 0 : 1 + encodingLength(length) + length
}

export function numberField (value: number): number {
  return value === 0 ? 0 : 1 + encodingLength(value)
}

export function varint (buf: Uint8Array, pos: number, value: number): number {
  encodeVarint(value, buf, pos)
  return pos + encodingLength(value)
}

/** A bytes field (skipped when empty, unless it is a repeated message that must appear). */
export function bytes (buf: Buffer, pos: number, tag: number, value: Uint8Array, always = false): number {
  if (value.byteLength === 0 && !always) return pos
  buf[pos++] = tag
  pos = varint(buf, pos, value.byteLength)
  buf.set(value, pos)
  return pos + value.byteLength
}
