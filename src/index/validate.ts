import { multiaddr } from '@multiformats/multiaddr'
import { parseFileId } from '../wire/file-id.js'
import { MAX_ADDR_BYTES, MAX_ADDRS, MAX_NAME_BYTES } from './constants.js'
import { BadRequestError, QuotaExceededError } from './errors.js'
import { terminalJson } from '../util/terminal-text.js'
import type { Multiaddr } from '@multiformats/multiaddr'

// the bytes every file id starts with: CIDv1, raw, sha2-256, 32-byte digest
const FILE_ID_PREFIX = [0x01, 0x55, 0x12, 0x20]
const FILE_ID_LENGTH = 36
// C0, DEL and C1 controls, the line/paragraph separators that break one-line output, and the
// bidi embeddings, overrides and isolates that make 'invoice\u202efdp.exe' show as
// 'invoiceexe.pdf'
// eslint-disable-next-line no-control-regex -- the control characters a name may not hold
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
// zero-width characters and bidi marks (ZWSP, ZWNJ, ZWJ, LRM, RLM, the Arabic letter mark, the
// BOM): invisible, so two names that print alike could be different files
const INVISIBLE = /[\u200b-\u200f\u061c\ufeff]/

/** Why `name` cannot be a shared name, or undefined when it can. */
export function nameProblem (name: string): string | undefined {
  if (name.length === 0) return 'empty name'
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `name longer than ${MAX_NAME_BYTES} bytes`
  if (CONTROL.test(name)) return 'control character in name'
  if (INVISIBLE.test(name)) return 'zero-width or bidi mark in name'
  if (name.includes('\\')) return 'backslash in name'
  if (name.startsWith('/')) return 'absolute name'
  // empty, '.' and '..' segments would let a downloader write somewhere else than it shows
  for (const segment of name.split('/')) {
    if (segment === '..') return "'..' segment in name"
    if (segment === '.' || segment === '') return 'empty or \'.\' segment in name'
  }
  return undefined
}

/** A short, printable form of untrusted text for an error line. */
export function printable (text: string, max = 60): string {
  return terminalJson(text.length > max ? `${text.slice(0, max)}…` : text)
}

export interface EntryFields {
  name: string
  fileId: Uint8Array
  size: number
  mtime: number
}

/** Why an entry cannot be indexed, or undefined. The announcer uses it to skip bad files
 * locally, so one odd file name never blocks a whole snapshot. */
export function entryProblem (e: EntryFields): string | undefined {
  const name = nameProblem(e.name)
  if (name != null) return `${name}: ${printable(e.name)}`
  if (!isFileIdBytes(e.fileId)) {
    try {
      parseFileId(e.fileId)
    } catch (err: any) {
      return `${printable(e.name)}: ${err.message}`
    }
  }
  if (!Number.isSafeInteger(e.size) || e.size < 0) return `${printable(e.name)}: bad size`
  if (!Number.isSafeInteger(e.mtime) || e.mtime < 0) return `${printable(e.name)}: bad mtime`
  return undefined
}

/** The fast path of parseFileId for the one byte form it accepts (a third of the validation
 * time of a large announce went into decoding CIDs). */
function isFileIdBytes (b: Uint8Array): boolean {
  return b.byteLength === FILE_ID_LENGTH && FILE_ID_PREFIX.every((v, i) => b[i] === v)
}

export function checkEntry (e: EntryFields): void {
  const problem = entryProblem(e)
  if (problem != null) throw new BadRequestError(problem)
}

/**
 * Parse announced addresses. An address ending in another peer (`/p2p/<other>`) is refused: a
 * peer may only say where it itself can be reached. Returns the addresses as strings.
 */
export function checkAddrs (addrs: Uint8Array[], self: string): string[] {
  if (addrs.length > MAX_ADDRS) throw new QuotaExceededError(`${addrs.length} addresses, at most ${MAX_ADDRS}`)
  const out: string[] = []
  for (const bytes of addrs) {
    if (bytes.byteLength > MAX_ADDR_BYTES) throw new BadRequestError(`address longer than ${MAX_ADDR_BYTES} bytes`)
    let ma: Multiaddr
    try {
      ma = multiaddr(bytes)
    } catch {
      throw new BadRequestError('not a multiaddr')
    }
    // the last /p2p/ is the peer the address reaches (earlier ones are relays)
    const last = ma.getComponents().filter(c => c.name === 'p2p').pop()
    if (last != null && last.value !== self) throw new BadRequestError(`address of another peer: ${printable(ma.toString())}`)
    const text = ma.toString()
    if (!out.includes(text)) out.push(text)
  }
  return out
}
