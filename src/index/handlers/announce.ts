import { checkAddrs, checkEntry } from '../validate.js'
import { QuotaExceededError } from '../errors.js'
import type { IndexRequest, IndexResponse } from '../../wire/index.js'
import type { HandlerContext } from '../rpc.js'

/**
 * ANNOUNCE: entries (and addresses) of the remote peer itself; `replace` starts a snapshot.
 * Every entry is checked first: one bad entry refuses the whole message, nothing is stored.
 */
export function handleAnnounce (req: IndexRequest, ctx: HandlerContext): Partial<IndexResponse> {
  const addrs = req.addrs.length > 0 ? checkAddrs(req.addrs, ctx.peerId) : undefined
  if (req.files.length > ctx.store.maxEntriesPerPeer) {
    throw new QuotaExceededError(`${req.files.length} entries, at most ${ctx.store.maxEntriesPerPeer} per peer`)
  }
  for (const f of req.files) checkEntry(f)
  const total = ctx.store.announce(ctx.peerId, { replace: req.replace, entries: req.files, addrs })
  ctx.log.trace('%s announced %d entries (replace=%s), %d in total', ctx.peerId, req.files.length, req.replace, total)
  return { accepted: req.files.length }
}
