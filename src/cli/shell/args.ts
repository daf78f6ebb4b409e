/**
 * The prompt's words: the command names, their options, and splitting a typed line into words
 * the way a POSIX shell does for what people type (quotes, backslashes), so that names with
 * spaces work: `get "holiday photos/a b.txt"`.
 */

export const COMMAND_NAMES = ['ls', 'search', 'get', 'share', 'unshare', 'peers', 'status', 'help', 'exit', 'quit'] as const
export type CommandName = typeof COMMAND_NAMES[number]

export function isCommandName (word: string): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word)
}

export interface OptionSpec {
  /** Options without a value, e.g. `--flat`. */
  flags?: readonly string[]
  /** Options that take the next word (or `--opt=value`) as value, e.g. `--out DIR`. */
  values?: readonly string[]
}

export const COMMAND_OPTIONS: Partial<Record<CommandName, OptionSpec>> = {
  ls: { flags: ['--flat'] },
  get: { values: ['--out'] }
}

/** What Tab offers for a command's first argument: files and folders, or folders only. */
export const NETWORK_ARGUMENT: Partial<Record<CommandName, 'files' | 'folders'>> = {
  get: 'files',
  ls: 'folders'
}

export type Quote = '"' | "'"

export interface Word {
  /** The word after quotes and escapes are removed. */
  value: string
  /** Where the word starts and ends in the line (raw text, quotes included). */
  start: number
  end: number
  /** Set when the line ends inside a quote that this word opened. */
  open?: Quote
}

const WHITESPACE = /[ \t\n\r]/
/** Inside double quotes a backslash escapes only these, as in POSIX shells. */
const DQUOTE_ESCAPABLE = new Set(['"', '\\', '$', '`'])

/**
 * Split a line into words. Lenient where a prompt should be: a quote still open at the end of
 * the line is closed there (Tab leaves folders with spaces as `"holiday photos/`), and a
 * trailing backslash is kept as a character.
 */
export function lex (line: string): Word[] {
  const words: Word[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && WHITESPACE.test(line[i])) i++
    if (i >= line.length) break
    const start = i
    let value = ''
    let open: Quote | undefined
    while (i < line.length && !WHITESPACE.test(line[i])) {
      const c = line[i]
      if (c === "'") {
        const close = line.indexOf("'", i + 1)
        if (close === -1) { value += line.slice(i + 1); i = line.length; open = c; break }
        value += line.slice(i + 1, close)
        i = close + 1
        continue
      }
      if (c === '"') {
        i++
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length && DQUOTE_ESCAPABLE.has(line[i + 1])) i++
          value += line[i++]
        }
        if (i >= line.length) { open = c; break }
        i++ // the closing quote
        continue
      }
      if (c === '\\' && i + 1 < line.length) {
        value += line[i + 1]
        i += 2
        continue
      }
      value += c
      i++
    }
    words.push(open != null ? { value, start, end: i, open } : { value, start, end: i })
  }
  return words
}

/** The words of a line, for running it. */
export function splitArgs (line: string): string[] {
  return lex(line).map(w => w.value)
}

export class ShellUsageError extends Error {
  static readonly code = 'ShellUsageError'
  override name = 'ShellUsageError'
}

export interface ParsedArgs {
  positional: string[]
  flags: Set<string>
  values: Map<string, string>
}

/** Separate a command's options from its arguments; `--` ends the options. */
export function parseOptions (command: string, args: readonly string[], spec: OptionSpec = {}): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], flags: new Set(), values: new Map() }
  let optionsDone = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (optionsDone || !a.startsWith('--')) { parsed.positional.push(a); continue }
    if (a === '--') { optionsDone = true; continue }
    const eq = a.indexOf('=')
    const name = eq === -1 ? a : a.slice(0, eq)
    if (spec.flags?.includes(name) === true && eq === -1) { parsed.flags.add(name); continue }
    if (spec.values?.includes(name) === true) {
      const value = eq !== -1 ? a.slice(eq + 1) : args[++i]
      if (value == null || value === '') throw new ShellUsageError(`${command}: ${name} needs a value`)
      parsed.values.set(name, value)
      continue
    }
    throw new ShellUsageError(`${command}: unknown option ${a}`)
  }
  return parsed
}
