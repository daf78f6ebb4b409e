import { withNode, printJson } from '../session.js'
import { formatBytes, shortId, table } from '../format.js'
import type { CommonOptions } from '../session.js'
import type { NetworkFile } from '../../node/api.js'

export interface LsOptions extends CommonOptions {
  flat?: boolean
}

export async function runLs (path: string | undefined, opts: LsOptions): Promise<void> {
  const files = await withNode(opts, async node => await node.ls({ path }))
  if (opts.json === true) { printJson(files); return }
  if (files.length === 0) { process.stdout.write(path != null ? `nothing under ${path}\n` : 'no files on the network\n'); return }
  process.stdout.write((opts.flat === true ? flatTable(files) : folderView(files, path)) + '\n')
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
