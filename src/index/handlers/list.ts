import { MAX_NAME_BYTES } from '../constants.js'
import { checkQueryLength, pageLimit, pageResponse } from './page.js'
import type { IndexRequest } from '../../wire/index.js'
import type { EncodedResponse } from '../encoded.js'
import type { HandlerContext } from '../rpc.js'

/** LIST: every visible entry by name, paged; `query` is an optional name prefix. */
export function handleList (req: IndexRequest, ctx: HandlerContext): EncodedResponse {
  checkQueryLength(req.query, MAX_NAME_BYTES, 'prefix')
  const page = ctx.store.list({ cursor: req.cursor, limit: pageLimit(req.limit, ctx), prefix: req.query })
  return pageResponse(page, ctx)
}
