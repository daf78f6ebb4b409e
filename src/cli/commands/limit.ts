import { withNode, printJson } from '../session.js'
import { parseRate, formatRate } from '../../bandwidth/rate.js'
import { UsageError } from '../../config/errors.js'
import type { CommonOptions } from '../session.js'
import type { BandwidthLimits } from '../../node/api.js'

export interface LimitOptions extends CommonOptions {
  upload?: string
  download?: string
}

/** `fsnode limit --upload RATE --download RATE`: change the running node's limits; with
 * neither, print them. */
export async function runLimit (opts: LimitOptions): Promise<void> {
  const change = { upload: rate(opts.upload, '--upload'), download: rate(opts.download, '--download') }
  const limits = await withNode(opts, async node => {
    if (node.limit == null) throw new UsageError('this node cannot change limits')
    return await node.limit(change)
  }, true)
  if (opts.json === true) printJson(limits)
  else process.stdout.write(describeLimits(limits) + '\n')
}

function rate (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  try {
    return parseRate(value)
  } catch (err: any) {
    throw new UsageError(`${flag}: ${err.message}`)
  }
}

export function describeLimits (l: BandwidthLimits): string {
  return `upload limit ${formatRate(l.upload)}, download limit ${formatRate(l.download)}${l.limitLan ? ' (local network included)' : ' (local network exempt)'}`
}
