import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { CID as CIDClass } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { Digest, decode as decodeDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { parseFileId } from '../wire/file-id.js'
import { MAX_MEMO_PROVIDER_BYTES, MAX_MEMO_PROVIDERS } from './constants.js'
import { InvalidResponseError } from './errors.js'
import type { IndexResponse, Provider } from '../wire/index.js'
import type { Multiaddr } from '@multiformats/multiaddr'
type CID = CIDClass

/** One name a peer shares, as the coordinator lists it. */
export interface IndexEntry {
  name: string
  fileId: CID
  size: number
  mtime: number
  peerId: string
}

export interface IndexProvider {
  peerId: string
  addrs: Multiaddr[]
  online: boolean
}

export interface IndexPage {
  entries: IndexEntry[]
  /** The providers the entries name, by peer id. */
  providers: Map<string, IndexProvider>
  /** Pass it back to get the next page; undefined on the last one. */
  nextCursor?: string
}

export interface IndexLookupResult {
  fileId: CID
  name: string
  size: number
  providers: IndexProvider[]
}

/** Decoders of what a coordinator answers: anything malformed is an InvalidResponseError. */
export function parsePage (res: IndexResponse): IndexPage {
  const ids = new PeerIdCache()
  const providers = new Map<string, IndexProvider>()
  for (const p of res.providers) {
    const provider = parseProvider(p, ids)
    providers.set(provider.peerId, provider)
  }
  const entries = res.entries.map(e => ({
    name: e.name, fileId: fileIdOf(e.fileId), size: e.size, mtime: e.mtime, peerId: ids.get(e.peerId)
  }))
  return { entries, providers, nextCursor: res.nextCursor !== '' ? res.nextCursor : undefined }
}

export function parseResults (res: IndexResponse): IndexLookupResult[] {
  const ids = new PeerIdCache()
  return res.results.map(r => ({
    fileId: fileIdOf(r.fileId), name: r.name, size: r.size, providers: r.providers.map(p => parseProvider(p, ids))
  }))
}

/**
 * Providers as parsed, by their wire form (peer id, addresses, online). The same providers
 * come back in page after page: a node's client asks one coordinator again and again, and
 * decoding each provider's peer id (base58) and multiaddrs for every page was most of the work
 * of reading a 500-entry page with 100 providers (~0.9 of ~1.3 ms). Frozen, since callers
 * share them; the oldest goes when the map is full; a big one (MAX_MEMO_PROVIDER_BYTES) is
 * never kept.
 */
const parsedProviders = new Map<string, IndexProvider>()

function parseProvider (p: Provider, ids: PeerIdCache): IndexProvider {
  // 'm': keyed by the message's fields (read-page.ts keys by the raw bytes, under 'w')
  let key = `m${p.online ? 1 : 0}${latin1(p.peerId)}`
  for (const bytes of p.addrs) key += `\u0000${latin1(bytes)}`
  return memoProvider(key, () => p, ids)
}

/** The provider parsed under `key` (its wire form), parsed now from `message()` if it is new. */
export function memoProvider (key: string, message: () => Provider, ids: PeerIdCache): IndexProvider {
  let provider = parsedProviders.get(key)
  if (provider == null) {
    const p = message()
    const addrs: Multiaddr[] = []
    for (const bytes of p.addrs) {
      try { addrs.push(multiaddr(bytes)) } catch {} // an address we cannot read is one we cannot dial
    }
    provider = Object.freeze({ peerId: ids.get(p.peerId), addrs: Object.freeze(addrs) as Multiaddr[], online: p.online })
    if (key.length > MAX_MEMO_PROVIDER_BYTES) return provider
    if (parsedProviders.size >= MAX_MEMO_PROVIDERS) parsedProviders.delete(parsedProviders.keys().next().value as string)
    parsedProviders.set(key, provider)
  }
  return provider
}

/** Bytes as a string key: a view, not a copy (this runs for every entry of a page). */
export function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

// a file id's bytes: CIDv1, raw, sha2-256, 32 bytes of digest
const FILE_ID_PREFIX = [1, raw.code, sha256.code, 32]
const FILE_ID_BYTES = FILE_ID_PREFIX.length + 32

export function fileIdOf (bytes: Uint8Array): CID {
  // the usual form built directly: CID.decode's varint and codec checks were a third of
  // decoding a 500-entry page; anything else takes the full parse (and its errors)
  if (bytes.byteLength === FILE_ID_BYTES && FILE_ID_PREFIX.every((b, i) => bytes[i] === b)) {
    return new CIDClass(1, raw.code, new Digest(sha256.code, 32, bytes.subarray(FILE_ID_PREFIX.length), bytes.subarray(2)), bytes)
  }
  try {
    return parseFileId(bytes)
  } catch (err: any) {
    throw new InvalidResponseError(`coordinator sent a bad file id: ${err.message}`)
  }
}

/** Peer ids by their bytes, as decoded: base58 for every provider of every page was a good part
 * of reading one. The oldest goes when the map is full. */
const peerIdStrings = new Map<string, string>()

/** Peer ids repeat on every entry of a page: each is looked up once per run of equal ones. */
export class PeerIdCache {
  private last?: Uint8Array
  private lastId = ''

  get (bytes: Uint8Array): string {
    // entries come in rowid order, so runs of one provider's entries are the rule
    if (this.last != null && sameBytes(this.last, bytes)) return this.lastId
    const key = latin1(bytes)
    let id = peerIdStrings.get(key)
    if (id == null) {
      try {
        id = peerIdFromMultihash(decodeDigest(bytes)).toString()
      } catch {
        throw new InvalidResponseError('coordinator sent a bad peer id')
      }
      if (peerIdStrings.size >= MAX_MEMO_PROVIDERS) peerIdStrings.delete(peerIdStrings.keys().next().value as string)
      peerIdStrings.set(key, id)
    }
    this.last = bytes
    this.lastId = id
    return id
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = a.byteLength - 1; i >= 0; i--) if (a[i] !== b[i]) return false
  return true
}

/** A file as `ls` shows it: one name and file id, with every peer that shares it. */
export interface IndexFile {
  name: string
  fileId: string
  size: number
  mtime: number
  providers: Array<{ peerId: string, addrs: string[], online: boolean }>
}

/** Merge pages into files: entries with the same name and file id become one file. */
export function groupByFile (pages: Iterable<IndexPage>): IndexFile[] {
  const files = new Map<string, IndexFile>()
  for (const page of pages) {
    for (const e of page.entries) {
      const fileId = e.fileId.toString()
      const key = `${e.name}\u0000${fileId}`
      let file = files.get(key)
      if (file == null) {
        file = { name: e.name, fileId, size: e.size, mtime: e.mtime, providers: [] }
        files.set(key, file)
      }
      if (file.providers.some(p => p.peerId === e.peerId)) continue
      const p = page.providers.get(e.peerId)
      file.providers.push({ peerId: e.peerId, addrs: p?.addrs.map(a => a.toString()) ?? [], online: p?.online ?? false })
    }
  }
  return [...files.values()]
}
