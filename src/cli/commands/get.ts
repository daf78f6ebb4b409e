import { getSummary } from '../render.js'
import { NO_PROGRESS } from '../output.js'
import { CommandCancelledError, abortable, expandPath, quoteWord } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'

export interface GetCommandOptions extends JsonOption {
  out?: string
}

const PROGRESS_LABEL_MAX = 30

/**
 * `get NAME|FILE_ID|FOLDER/ [--out DIR]`. Ctrl-C cancels the download; its partial state stays
 * on disk, so the same get resumes it.
 */
export async function get ({ node, out, signal, cwd }: CommandContext, target: string, opts: GetCommandOptions): Promise<void> {
  const progress = opts.json === true
    ? NO_PROGRESS
    : out.progress(target.length > PROGRESS_LABEL_MAX ? `…${target.slice(1 - PROGRESS_LABEL_MAX)}` : target)
  // Once cancelled, the bar goes away at once and late progress events are dropped.
  const stop = (): void => progress.stop()
  signal.addEventListener('abort', stop, { once: true })
  try {
    const result = await abortable(node.get(target, {
      ...(opts.out != null ? { out: expandPath(opts.out, cwd) } : {}),
      signal,
      onProgress: e => { if (!signal.aborted) progress.update(e) }
    }), signal)
    progress.stop()
    if (opts.json === true) out.json(result)
    else out.print(getSummary(result))
  } catch (err) {
    if (signal.aborted) throw new CommandCancelledError(`get cancelled; what was downloaded is kept: get ${quoteWord(target)} again to resume`)
    throw err
  } finally {
    progress.stop()
    signal.removeEventListener('abort', stop)
  }
}

export const getCommand: NodeCommand = {
  name: 'get',
  description: 'download a file (by name or file id) or a folder (a name ending in /); Ctrl-C cancels, get again resumes',
  completes: 'files',
  define: cmd => cmd
    .argument('<target>', 'NAME, FILE_ID or FOLDER/')
    .option('--out <dir>', 'folder to download into (default: the downloads folder)')
    .option('--json', 'print one result object when done'),
  defineCli: cmd => cmd
    .option('--max-download <rate>', 'download limit of this get when no node runs, e.g. 2MiB (0 = none)'),
  run: async (ctx, [target], opts) => { await get(ctx, target as string, opts) }
}
