import { plural } from '../render.js'
import { abortable, expandPath } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'

/** `share PATH`: the running node also shares this file or folder, without copying it. */
export async function share ({ node, out, signal, cwd }: CommandContext, path: string, opts: JsonOption): Promise<void> {
  const r = await abortable(node.share(expandPath(path, cwd), { signal }), signal)
  if (opts.json === true) out.json(r)
  else out.print(`sharing ${r.path} (${plural(r.files, 'file')})`)
}

/** `unshare PATH`: stop sharing a path added with share. */
export async function unshare ({ node, out, signal, cwd }: CommandContext, path: string, opts: JsonOption): Promise<void> {
  const r = await abortable(node.unshare(expandPath(path, cwd), { signal }), signal)
  if (opts.json === true) out.json(r)
  else out.print(`no longer sharing ${r.path} (${plural(r.files, 'file')} withdrawn)`)
}

export const shareCommand: NodeCommand = {
  name: 'share',
  description: 'share a file or folder outside the share folder (without copying it)',
  daemonOnly: true,
  define: cmd => cmd
    .argument('<path>', 'file or folder')
    .option('--json', 'machine-readable output'),
  run: async (ctx, [path], opts) => { await share(ctx, path as string, opts) }
}

export const unshareCommand: NodeCommand = {
  name: 'unshare',
  description: 'stop sharing a path added with share',
  daemonOnly: true,
  define: cmd => cmd
    .argument('<path>', 'file or folder')
    .option('--json', 'machine-readable output'),
  run: async (ctx, [path], opts) => { await unshare(ctx, path as string, opts) }
}
