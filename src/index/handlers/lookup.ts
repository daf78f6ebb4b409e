import { parseFileId } from '../../wire/file-id.js'
import { MAX_NAME_BYTES } from '../constants.js'
import { BadRequestError } from '../errors.js'
import { checkQueryLength, providerSize, RESPONSE_BUDGET, toProvider } from './page.js'
import type { IndexRequest, IndexResponse, LookupResult } from '../../wire/index.js'
import type { LookupGroup } from '../store.js'
import type { HandlerContext } from '../rpc.js'

/** LOOKUP: by file id (`fileId`) or by name (`query`): each file id with its providers. */
export function handleLookup (req: IndexRequest, ctx: HandlerContext): Partial<IndexResponse> {
  let groups: LookupGroup[]
  if (req.fileId.byteLength > 0) {
    let bytes: Uint8Array
    try {
      bytes = parseFileId(req.fileId).bytes
    } catch (err: any) {
      throw new BadRequestError(err.message)
    }
    groups = ctx.store.lookupByFileId(bytes)
  } else if (req.query !== '') {
    checkQueryLength(req.query, MAX_NAME_BYTES, 'name')
    groups = ctx.store.lookupByName(req.query)
  } else {
    throw new BadRequestError('lookup needs a name or a file id')
  }
  // online providers come first (the store's order), so a cut drops the least useful ones
  const results: LookupResult[] = []
  let used = 0
  for (const g of groups) {
    const result: LookupResult = { fileId: g.fileId as Uint8Array<ArrayBuffer>, name: g.name, size: g.size, providers: [] }
    used += 40 + g.fileId.byteLength + Buffer.byteLength(g.name)
    for (const p of g.providers) {
      const provider = toProvider(p)
      used += providerSize(provider)
      if (used > RESPONSE_BUDGET) break
      result.providers.push(provider)
    }
    if (result.providers.length > 0) results.push(result)
    if (used > RESPONSE_BUDGET) break
  }
  return { results }
}
