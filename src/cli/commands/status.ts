import { formatPeers, formatStatus } from '../render.js'
import { abortable } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'

/** `status`: what the node is doing (addresses, shares, downloads). */
export async function status ({ node, out, signal }: CommandContext, opts: JsonOption): Promise<void> {
  const s = await abortable(node.status({ signal }), signal)
  if (opts.json === true) out.json(s)
  else out.print(formatStatus(s))
}

/** `peers` (at the prompt): connected peers and coordinators. */
export async function peers ({ node, out, signal }: CommandContext, opts: JsonOption): Promise<void> {
  const s = await abortable(node.status({ signal }), signal)
  if (opts.json === true) out.json({ peers: s.peers, connections: s.connections ?? [], coordinators: s.coordinators, reachability: s.reachability })
  else out.print(formatPeers(s))
}

export const statusCommand: NodeCommand = {
  name: 'status',
  description: 'show what the node on this data dir is doing',
  define: cmd => cmd.option('--json', 'machine-readable output'),
  run: async (ctx, _args, opts) => { await status(ctx, opts) }
}

export const peersCommand: NodeCommand = {
  name: 'peers',
  description: 'connected peers and coordinators',
  promptOnly: true,
  define: cmd => cmd.option('--json', 'machine-readable output'),
  run: async (ctx, _args, opts) => { await peers(ctx, opts) }
}
