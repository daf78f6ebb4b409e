import { withNode, printJson } from '../session.js'
import { flatTable } from './ls.js'
import type { CommonOptions } from '../session.js'

export async function runSearch (text: string, opts: CommonOptions): Promise<void> {
  const files = await withNode(opts, async node => await node.search(text))
  if (opts.json === true) { printJson(files); return }
  process.stdout.write(files.length === 0 ? `no file matches ${JSON.stringify(text)}\n` : flatTable(files) + '\n')
}
