import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The prompt's history file in the data dir: one line per entry, oldest first. */
export const HISTORY_FILE = 'shell_history'
export const HISTORY_MAX_LINES = 1000
/** Lines may be private (file names): only the user reads the file. */
const HISTORY_MODE = 0o600

/**
 * Earlier lines, newest first as readline wants them. A file grown past the cap is cut back to
 * its last HISTORY_MAX_LINES lines here, so appending stays a cheap append.
 */
export async function loadHistory (file: string, max = HISTORY_MAX_LINES): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return []
    throw err
  }
  const lines = text.split('\n').filter(l => l.trim() !== '')
  const kept = lines.slice(-max)
  if (kept.length < lines.length) await writeFile(file, kept.join('\n') + '\n', { mode: HISTORY_MODE })
  return kept.reverse()
}

export async function appendHistory (file: string, line: string): Promise<void> {
  // A line is one entry: no embedded newlines, no empty entries.
  const entry = line.replace(/[\r\n]+/g, ' ')
  if (entry.trim() === '') return
  await mkdir(dirname(file), { recursive: true })
  await appendFile(file, entry + '\n', { mode: HISTORY_MODE })
}
