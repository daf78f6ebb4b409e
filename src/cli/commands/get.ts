import { resolve } from 'node:path'
import { withNode, printJson } from '../session.js'
import { ProgressDisplay } from '../progress.js'
import { getSummary } from '../render.js'
import type { CommonOptions } from '../session.js'

export interface GetCommandOptions extends CommonOptions {
  out?: string
}

export async function runGet (target: string, opts: GetCommandOptions): Promise<void> {
  const progress = new ProgressDisplay(target.length > 30 ? `…${target.slice(-29)}` : target, opts.json !== true && process.stderr.isTTY === true)
  // Ctrl-C cancels the download; its partial state stays on disk for the next get.
  const controller = new AbortController()
  const onSigint = (): void => controller.abort(new DownloadCancelledError('download cancelled; run the same get again to resume'))
  process.once('SIGINT', onSigint)
  try {
    const result = await withNode(opts, async node => await node.get(target, {
      out: opts.out != null ? resolve(opts.out) : undefined,
      signal: controller.signal,
      onProgress: e => progress.update(e)
    }))
    progress.stop()
    if (opts.json === true) { printJson(result); return }
    process.stdout.write(getSummary(result) + '\n')
  } finally {
    progress.stop()
    process.off('SIGINT', onSigint)
  }
}

export class DownloadCancelledError extends Error {
  static readonly code = 'DownloadCancelledError'
  override name = 'DownloadCancelledError'
}
