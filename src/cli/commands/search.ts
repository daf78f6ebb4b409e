import { UsageError } from '../../config/errors.js'
import { flatTable } from './ls.js'
import { abortable } from './context.js'
import type { CommandContext, JsonOption } from './context.js'
import type { NodeCommand } from './command.js'

/** `search TEXT...`: files whose names hold all these words. */
export async function search ({ node, out, signal }: CommandContext, words: string[], opts: JsonOption): Promise<void> {
  const text = searchText(words)
  const files = await abortable(node.search(text, { signal }), signal)
  if (opts.json === true) { out.json(files); return }
  out.print(files.length === 0 ? `no file matches ${JSON.stringify(text)}` : flatTable(files))
}

export const searchCommand: NodeCommand = {
  name: 'search',
  description: 'find files by words in their names',
  define: cmd => cmd
    .argument('<text...>', 'words to look for')
    .option('--json', 'machine-readable output'),
  check: ([words]) => { searchText(words as string[]) },
  run: async (ctx, [words], opts) => { await search(ctx, words as string[], opts) }
}

function searchText (words: string[]): string {
  const text = words.join(' ').trim()
  if (text === '') throw new UsageError('usage: search TEXT')
  return text
}
