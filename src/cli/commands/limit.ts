import { parseRate, formatRate } from '../../bandwidth/rate.js'
import { UsageError } from '../../config/errors.js'
import { abortable } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'
import type { BandwidthLimits, LimitChange } from '../../node/api.js'

export interface LimitOptions extends JsonOption {
  upload?: string
  download?: string
  peerUpload?: string
  peerDownload?: string
}

/** `limit [--upload RATE] [--download RATE]`: change the running node's limits; with neither,
 * print them. */
export async function limit ({ node, out, signal }: CommandContext, opts: LimitOptions): Promise<void> {
  const change = limitChange(opts)
  if (node.limit == null) throw new UsageError('this node cannot change limits')
  const limits = await abortable(node.limit(change, { signal }), signal)
  if (opts.json === true) out.json(limits)
  else out.print(describeLimits(limits))
}

export const limitCommand: NodeCommand = {
  name: 'limit',
  description: "change the running node's bandwidth limits at once (no options: show them)",
  daemonOnly: true,
  define: cmd => cmd
    .option('--upload <rate>', 'upload limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--download <rate>', 'download limit (0 = none)')
    .option('--peer-upload <rate>', "each peer's own upload limit, within the node's (0 = none)")
    .option('--peer-download <rate>', "each peer's own download limit (0 = none)")
    .option('--json', 'machine-readable output'),
  check: (_args, opts) => { limitChange(opts) },
  run: async (ctx, _args, opts) => { await limit(ctx, opts) }
}

function limitChange (opts: LimitOptions): LimitChange {
  const change: LimitChange = { upload: rate(opts.upload, '--upload'), download: rate(opts.download, '--download') }
  if (opts.peerUpload !== undefined || opts.peerDownload !== undefined) {
    change.perPeer = { upload: rate(opts.peerUpload, '--peer-upload'), download: rate(opts.peerDownload, '--peer-download') }
  }
  return change
}

function rate (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  try {
    return parseRate(value)
  } catch (err: any) {
    throw new UsageError(`${flag}: ${err.message}`)
  }
}

function describeLimits (l: BandwidthLimits): string {
  const perPeer = l.perPeer != null ? `; per peer: upload ${formatRate(l.perPeer.upload)}, download ${formatRate(l.perPeer.download)}` : ''
  return `upload limit ${formatRate(l.upload)}, download limit ${formatRate(l.download)}${l.limitLan ? ' (local network included)' : ' (local network exempt)'}${perPeer}`
}
