import { base58btc } from 'multiformats/bases/base58'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_INDEX_FRAME } from '../../wire/constants.js'
import { MAX_MEMO_PROVIDERS, RESPONSE_HEADROOM } from '../constants.js'
import { BadRequestError } from '../errors.js'
import type { IndexResponse, ListEntry, Provider } from '../../wire/index.js'
import type { Page, ProviderInfo } from '../store.js'
import type { HandlerContext } from '../rpc.js'

/** What a response may spend on entries and providers. */
export const RESPONSE_BUDGET = MAX_INDEX_FRAME - RESPONSE_HEADROOM
// an upper bound of a message's tags and length varints around its variable-length fields
const FIELD_OVERHEAD = 40

/**
 * Providers as wire messages, by what the store says of them (online, peer id, addresses): the
 * same providers appear in page after page, and decoding their peer ids and parsing their
 * multiaddrs for each page was a fifth of a search's CPU (500-entry pages, 100 providers).
 * Read-only once built (encoding only reads them); the oldest goes when the map is full.
 */
const wireProviders = new Map<string, Provider>()

/** The page size a request asks for, within the service's bounds. */
export function pageLimit (limit: number, ctx: HandlerContext): number {
  if (limit === 0) return ctx.defaultPageSize
  return Math.min(limit, ctx.maxPageSize)
}

export function checkQueryLength (text: string, max: number, what: string): void {
  if (text.length > max) throw new BadRequestError(`${what} longer than ${max} characters`)
}

export function peerIdBytes (peerId: string): Uint8Array<ArrayBuffer> {
  return base58btc.baseDecode(peerId) as Uint8Array<ArrayBuffer>
}

export function toProvider (p: ProviderInfo): Provider {
  const key = `${p.online ? 1 : 0} ${p.peerId} ${p.addrs.join(' ')}`
  let provider = wireProviders.get(key)
  if (provider == null) {
    const addrs: Array<Uint8Array<ArrayBuffer>> = []
    for (const a of p.addrs) {
      try { addrs.push(multiaddr(a).bytes as Uint8Array<ArrayBuffer>) } catch {}
    }
    provider = { peerId: peerIdBytes(p.peerId), addrs, online: p.online }
    if (wireProviders.size >= MAX_MEMO_PROVIDERS) wireProviders.delete(wireProviders.keys().next().value as string)
    wireProviders.set(key, provider)
  }
  return provider
}

export function providerSize (p: Provider): number {
  return FIELD_OVERHEAD + p.peerId.byteLength + p.addrs.reduce((n, a) => n + a.byteLength + 3, 0)
}

/**
 * A LIST/SEARCH page as a response under the frame limit: entries in order, each provider they
 * name once. When the budget runs out first, nextCursor continues after the last entry sent.
 */
export function pageResponse (page: Page, ctx: HandlerContext): Partial<IndexResponse> {
  const entries: ListEntry[] = []
  const providers = new Map<string, Provider>()
  // every provider of the page in one query, not one query each
  const infos = ctx.store.providers(new Set(page.entries.map(e => e.peerId)))
  let used = 0
  for (const [i, e] of page.entries.entries()) {
    let provider = providers.get(e.peerId)
    const added = provider == null
    provider ??= toProvider(infos.get(e.peerId) ?? { peerId: e.peerId, addrs: [], online: false })
    const peerId = provider.peerId
    const entry: ListEntry = { name: e.name, fileId: e.fileId as Uint8Array<ArrayBuffer>, size: e.size, mtime: e.mtime, peerId }
    let cost = FIELD_OVERHEAD + Buffer.byteLength(e.name) + e.fileId.byteLength + peerId.byteLength
    if (added) cost += providerSize(provider)
    if (used + cost > RESPONSE_BUDGET && entries.length > 0) {
      return { entries, providers: [...providers.values()], nextCursor: page.cursorAfter(i - 1) }
    }
    used += cost
    entries.push(entry)
    if (added) providers.set(e.peerId, provider)
  }
  return { entries, providers: [...providers.values()], nextCursor: page.nextCursor ?? '' }
}
