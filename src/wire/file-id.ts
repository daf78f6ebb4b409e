import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidFileIdError } from './errors.js'

/** Parse a file id from text (a user) or bytes (a peer). Only CIDv1 raw sha2-256 is a file id. */
export function parseFileId (input: string | Uint8Array): CID {
  let cid: CID
  try {
    cid = typeof input === 'string' ? CID.parse(input.trim()) : CID.decode(input)
  } catch {
    throw new InvalidFileIdError(`not a file id: ${typeof input === 'string' ? JSON.stringify(input.slice(0, 80)) : `${input.byteLength} bytes`}`)
  }
  if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== sha256.code) {
    throw new InvalidFileIdError(`not a file id (expected a CIDv1 raw sha2-256): ${cid.toString()}`)
  }
  return cid
}

/** True when text looks like a file id rather than a name. */
export function looksLikeFileId (text: string): boolean {
  try {
    parseFileId(text)
    return true
  } catch {
    return false
  }
}
