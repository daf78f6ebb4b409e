import type { IndexRequest, IndexResponse } from '../../wire/index.js'
import type { HandlerContext } from '../rpc.js'

/** WITHDRAW: names the remote peer no longer shares. Unknown names are ignored. */
export function handleWithdraw (req: IndexRequest, ctx: HandlerContext): Partial<IndexResponse> {
  const removed = ctx.store.remove(ctx.peerId, req.names)
  ctx.log.trace('%s withdrew %d of %d names', ctx.peerId, removed, req.names.length)
  return { accepted: removed }
}
