import { base58btc } from 'multiformats/bases/base58'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_INDEX_FRAME } from '../../wire/constants.js'
import { RESPONSE_HEADROOM } from '../constants.js'
import { BadRequestError } from '../errors.js'
import type { IndexResponse, ListEntry, Provider } from '../../wire/index.js'
import type { Page, ProviderInfo } from '../store.js'
import type { HandlerContext } from '../rpc.js'

/** What a response may spend on entries and providers. */
export const RESPONSE_BUDGET = MAX_INDEX_FRAME - RESPONSE_HEADROOM
// an upper bound of a message's tags and length varints around its variable-length fields
const FIELD_OVERHEAD = 40

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
  const addrs: Array<Uint8Array<ArrayBuffer>> = []
  for (const a of p.addrs) {
    try { addrs.push(multiaddr(a).bytes as Uint8Array<ArrayBuffer>) } catch {}
  }
  return { peerId: peerIdBytes(p.peerId), addrs, online: p.online }
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
  let used = 0
  for (const [i, e] of page.entries.entries()) {
    const peerId = providers.get(e.peerId)?.peerId ?? peerIdBytes(e.peerId)
    const entry: ListEntry = { name: e.name, fileId: e.fileId as Uint8Array<ArrayBuffer>, size: e.size, mtime: e.mtime, peerId }
    let cost = FIELD_OVERHEAD + Buffer.byteLength(e.name) + e.fileId.byteLength + peerId.byteLength
    let provider: Provider | undefined
    if (!providers.has(e.peerId)) {
      const info = ctx.store.provider(e.peerId) ?? { peerId: e.peerId, addrs: [], online: false }
      provider = toProvider(info)
      cost += providerSize(provider)
    }
    if (used + cost > RESPONSE_BUDGET && entries.length > 0) {
      return { entries, providers: [...providers.values()], nextCursor: page.cursorAfter(i - 1) }
    }
    used += cost
    entries.push(entry)
    if (provider != null) providers.set(e.peerId, provider)
  }
  return { entries, providers: [...providers.values()], nextCursor: page.nextCursor ?? '' }
}
