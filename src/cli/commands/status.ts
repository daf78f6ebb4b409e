import { withNode, printJson } from '../session.js'
import { formatStatus } from '../render.js'
import type { CommonOptions } from '../session.js'

export async function runStatus (opts: CommonOptions): Promise<void> {
  const s = await withNode(opts, async node => await node.status())
  if (opts.json === true) printJson(s)
  else process.stdout.write(formatStatus(s) + '\n')
}
