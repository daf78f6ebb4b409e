import { IndexRequest, IndexResponse } from '../wire/index.js'
import { handleAnnounce } from './handlers/announce.js'
import { handleList } from './handlers/list.js'
import { handleLookup } from './handlers/lookup.js'
import { handleSearch } from './handlers/search.js'
import { handleWithdraw } from './handlers/withdraw.js'
import { ErrorCode, ForbiddenError, IndexError } from './errors.js'
import { EncodedResponse } from './encoded.js'
import type { IndexStore } from './store.js'
import type { Logger } from '@libp2p/interface'

/** What a handler knows about the request besides its message. */
export interface HandlerContext {
  store: IndexStore
  /** The authenticated remote peer (connection.remotePeer): entries are always keyed by it. */
  peerId: string
  defaultPageSize: number
  maxPageSize: number
  log: Logger
  /** Peers allowed to announce and withdraw; undefined: every peer. */
  allowPeers?: ReadonlySet<string>
  /** Told of each request served: its type, how long it took and whether it was refused (metrics). */
  observe?: QueryObserver
}

export type QueryObserver = (type: string, seconds: number, result: 'ok' | 'error') => void

/** Requests that change the index, which an allow-list restricts. */
const WRITES = new Set<IndexRequest.Type>([IndexRequest.Type.ANNOUNCE, IndexRequest.Type.WITHDRAW])

/** A response as a message, or already in wire form (LIST and SEARCH pages). */
export type Answer = Partial<IndexResponse> | EncodedResponse

export type Handler = (req: IndexRequest, ctx: HandlerContext) => Answer

const handlers: Partial<Record<IndexRequest.Type, Handler>> = {
  [IndexRequest.Type.ANNOUNCE]: handleAnnounce,
  [IndexRequest.Type.WITHDRAW]: handleWithdraw,
  [IndexRequest.Type.LIST]: handleList,
  [IndexRequest.Type.SEARCH]: handleSearch,
  [IndexRequest.Type.LOOKUP]: handleLookup
}

/** Answer one request. Never throws: a failure becomes an ERROR response. */
export function dispatch (req: IndexRequest, ctx: HandlerContext): Answer {
  const handler = handlers[req.type]
  if (handler == null) return errorResponse(new IndexError(ErrorCode.UNSUPPORTED, `unsupported request type ${String(req.type)}`))
  if (ctx.allowPeers != null && WRITES.has(req.type) && !ctx.allowPeers.has(ctx.peerId)) {
    return errorResponse(new ForbiddenError(`${ctx.peerId} may not announce to this coordinator (not in coordinator.allowPeers)`))
  }
  try {
    const res = handler(req, ctx)
    return res instanceof EncodedResponse ? res : { status: IndexResponse.Status.OK, ...res }
  } catch (err: any) {
    if (!(err instanceof IndexError)) ctx.log.error('%s request from %s failed: %e', String(req.type), ctx.peerId, err)
    return errorResponse(err)
  }
}

/** An ERROR response with a code and one line of text; internals are never leaked. */
export function errorResponse (err: unknown): Partial<IndexResponse> {
  if (err instanceof IndexError) {
    return { status: IndexResponse.Status.ERROR, code: err.code, error: oneLine(err.message) }
  }
  return { status: IndexResponse.Status.ERROR, code: ErrorCode.INTERNAL, error: 'internal error' }
}

function oneLine (text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ')
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
