import { pageLimit, pageResponse } from './page.js'
import type { IndexRequest } from '../../wire/index.js'
import type { EncodedResponse } from '../encoded.js'
import type { HandlerContext } from '../rpc.js'

/** SEARCH: entries whose name has every word of `query` (words match as prefixes), paged. */
export function handleSearch (req: IndexRequest, ctx: HandlerContext): EncodedResponse {
  const page = ctx.store.search(req.query, { cursor: req.cursor, limit: pageLimit(req.limit, ctx) })
  return pageResponse(page, ctx)
}
