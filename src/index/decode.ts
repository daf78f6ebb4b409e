import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { parseFileId } from '../wire/file-id.js'
import { InvalidResponseError } from './errors.js'
import type { IndexResponse, Provider } from '../wire/index.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

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

function parseProvider (p: Provider, ids: PeerIdCache): IndexProvider {
  const addrs: Multiaddr[] = []
  for (const bytes of p.addrs) {
    try { addrs.push(multiaddr(bytes)) } catch {} // an address we cannot read is one we cannot dial
  }
  return { peerId: ids.get(p.peerId), addrs, online: p.online }
}

function fileIdOf (bytes: Uint8Array): CID {
  try {
    return parseFileId(bytes)
  } catch (err: any) {
    throw new InvalidResponseError(`coordinator sent a bad file id: ${err.message}`)
  }
}

/** Peer ids repeat on every entry of a page: decode each once. */
class PeerIdCache {
  private readonly seen = new Map<string, string>()

  get (bytes: Uint8Array): string {
    const key = Buffer.from(bytes).toString('base64')
    let id = this.seen.get(key)
    if (id == null) {
      try {
        id = peerIdFromMultihash(decodeDigest(bytes)).toString()
      } catch {
        throw new InvalidResponseError('coordinator sent a bad peer id')
      }
      this.seen.set(key, id)
    }
    return id
  }
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
