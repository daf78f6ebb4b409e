import { resolve } from 'node:path'
import { withNode, printJson } from '../session.js'
import type { CommonOptions } from '../session.js'

export async function runShare (path: string, opts: CommonOptions): Promise<void> {
  const r = await withNode(opts, async node => await node.share(resolve(path)), true)
  if (opts.json === true) printJson(r)
  else process.stdout.write(`sharing ${r.path} (${r.files} file${r.files === 1 ? '' : 's'})\n`)
}

export async function runUnshare (path: string, opts: CommonOptions): Promise<void> {
  const r = await withNode(opts, async node => await node.unshare(resolve(path)), true)
  if (opts.json === true) printJson(r)
  else process.stdout.write(`no longer sharing ${r.path} (${r.files} file${r.files === 1 ? '' : 's'} withdrawn)\n`)
}
