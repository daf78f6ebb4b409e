import { base58btc } from 'multiformats/bases/base58'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_INDEX_FRAME } from '../../wire/constants.js'
import { Provider } from '../../wire/index.js'
import { MAX_MEMO_PROVIDERS, RESPONSE_HEADROOM } from '../constants.js'
import { BadRequestError } from '../errors.js'
import { encodePage, sizedEntry } from '../encoded.js'
import type { EncodedResponse, SizedEntry } from '../encoded.js'
import type { Page, ProviderInfo } from '../store.js'
import type { HandlerContext } from '../rpc.js'

/** What a response may spend on entries and providers. */
export const RESPONSE_BUDGET = MAX_INDEX_FRAME - RESPONSE_HEADROOM
// an upper bound of a message's tags and length varints around its variable-length fields
const FIELD_OVERHEAD = 40

/** A provider as a wire message, and that message encoded. */
interface WireProvider { message: Provider, bytes: Uint8Array }

/**
 * Providers in wire form, by what the store says of them (online, peer id, addresses): the
 * same providers appear in page after page, and decoding their peer ids and parsing their
 * multiaddrs for each page was a fifth of a search's CPU (500-entry pages, 100 providers).
 * Read-only once built (encoding only reads them); the oldest goes when the map is full.
 */
const wireProviders = new Map<string, WireProvider>()

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

function wireProvider (p: ProviderInfo): WireProvider {
  const key = `${p.online ? 1 : 0} ${p.peerId} ${p.addrs.join(' ')}`
  let provider = wireProviders.get(key)
  if (provider == null) {
    const addrs: Array<Uint8Array<ArrayBuffer>> = []
    for (const a of p.addrs) {
      try { addrs.push(multiaddr(a).bytes as Uint8Array<ArrayBuffer>) } catch {}
    }
    const message: Provider = { peerId: peerIdBytes(p.peerId), addrs, online: p.online }
    provider = { message, bytes: Provider.encode(message) }
    if (wireProviders.size >= MAX_MEMO_PROVIDERS) wireProviders.delete(wireProviders.keys().next().value as string)
    wireProviders.set(key, provider)
  }
  return provider
}

export function toProvider (p: ProviderInfo): Provider {
  return wireProvider(p).message
}

export function providerSize (p: Provider): number {
  return FIELD_OVERHEAD + p.peerId.byteLength + p.addrs.reduce((n, a) => n + a.byteLength + 3, 0)
}

/**
 * A LIST/SEARCH page as a response under the frame limit: entries in order, each provider they
 * name once. When the budget runs out first, nextCursor continues after the last entry sent.
 * Written straight into its frame (EncodedResponse): no message object per entry, no second
 * copy for the length prefix.
 */
export function pageResponse (page: Page, ctx: HandlerContext): EncodedResponse {
  // every provider of the page in one query, not one query each
  const infos = ctx.store.providers(new Set(page.entries.map(e => e.peerId)))
  const providers = new Map<string, WireProvider>()
  const sent: SizedEntry[] = []
  let used = 0
  let cursor = page.nextCursor ?? ''
  for (const [i, e] of page.entries.entries()) {
    let provider = providers.get(e.peerId)
    const added = provider == null
    provider ??= wireProvider(infos.get(e.peerId) ?? { peerId: e.peerId, addrs: [], online: false })
    const peerId = provider.message.peerId
    const nameBytes = Buffer.byteLength(e.name)
    let cost = FIELD_OVERHEAD + nameBytes + e.fileId.byteLength + peerId.byteLength
    if (added) cost += providerSize(provider.message)
    if (used + cost > RESPONSE_BUDGET && sent.length > 0) {
      cursor = page.cursorAfter(i - 1)
      break
    }
    used += cost
    sent.push(sizedEntry(e, nameBytes, peerId))
    if (added) providers.set(e.peerId, provider)
  }
  return encodePage(sent, cursor, [...providers.values()].map(p => p.bytes))
}
