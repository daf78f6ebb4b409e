import { formatBytes, shortId, table } from '../format.js'
import { abortable } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'
import type { NetworkFile } from '../../node/api.js'

export interface LsOptions extends JsonOption {
  flat?: boolean
}

/** `ls [PATH] [--flat]`: the network's files, by folder or one line each. */
export async function ls ({ node, out, signal }: CommandContext, path: string | undefined, opts: LsOptions): Promise<void> {
  const files = await abortable(node.ls(path != null ? { path, signal } : { signal }), signal)
  if (opts.json === true) { out.json(files); return }
  if (files.length === 0) { out.print(path != null ? `nothing under ${path}` : 'no files on the network'); return }
  out.print(opts.flat === true ? flatTable(files) : folderView(files, path))
}

export const lsCommand: NodeCommand = {
  name: 'ls',
  description: "list the network's files",
  completes: 'folders',
  define: cmd => cmd
    .argument('[path]', 'only what is under this folder')
    .option('--flat', 'one line per file instead of folders')
    .option('--json', 'machine-readable output'),
  run: async (ctx, [path], opts) => { await ls(ctx, path as string | undefined, opts) }
}

export function flatTable (files: NetworkFile[]): string {
  return table(['NAME', 'SIZE', 'FILE ID', 'PEERS'], files.map(f => [
    f.name, formatBytes(f.size), f.fileId, String(f.providers.filter(p => p.online).length)
  ]))
}

/** Folders first (with their file count and total size), then the files at this level. */
export function folderView (files: NetworkFile[], path?: string): string {
  const prefix = path == null || path === '' ? '' : path.replace(/\/*$/, '/')
  const folders = new Map<string, { files: number, bytes: number }>()
  const here: NetworkFile[] = []
  for (const f of files) {
    const rest = f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name
    const slash = rest.indexOf('/')
    if (slash === -1) { here.push(f); continue }
    const dir = prefix + rest.slice(0, slash + 1)
    const agg = folders.get(dir) ?? { files: 0, bytes: 0 }
    agg.files++
    agg.bytes += f.size
    folders.set(dir, agg)
  }
  const rows: string[][] = []
  for (const [dir, agg] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([dir, formatBytes(agg.bytes), `${agg.files} file${agg.files === 1 ? '' : 's'}`, ''])
  }
  for (const f of here) {
    rows.push([f.name, formatBytes(f.size), shortId(f.fileId, 16), String(f.providers.filter(p => p.online).length)])
  }
  return table(['NAME', 'SIZE', 'FILE ID', 'PEERS'], rows)
}
