import { lex } from './words.js'
import { PROMPT_GRAMMAR } from './commands.js'
import { isTerminalSafe } from '../../util/terminal-text.js'
import type { Quote } from './words.js'

/**
 * Tab completion for the prompt, as readline wants it: the candidates and the text before the
 * cursor they replace. Candidates are complete raw words (quoted when the name needs it), so
 * readline either extends what was typed or swaps the word for its quoted form (`holi` becomes
 * `"holiday photos/`). Pure: the names on the network are passed in.
 */
export type Completion = [string[], string]

interface Typed {
  /** Words before the one being completed. */
  words: string[]
  /** The word under completion: its raw text, its value, and the quote it left open. */
  raw: string
  value: string
  open?: Quote
}

function split (line: string): Typed {
  const lexed = lex(line)
  const last = lexed.at(-1)
  // A word is being completed only when the cursor touches it (no space after it).
  if (last == null || last.end < line.length) return { words: lexed.map(w => w.value), raw: '', value: '' }
  return {
    words: lexed.slice(0, -1).map(w => w.value),
    raw: line.slice(last.start),
    value: last.value,
    ...(last.open != null ? { open: last.open } : {})
  }
}

/** Whether completing this line needs the names on the network (so the caller fetches them). */
export function wantsNames (line: string): boolean {
  const p = split(line)
  return networkArgument(p) != null
}

export function complete (line: string, names: readonly string[]): Completion {
  const p = split(line)
  const { names: commands, options } = PROMPT_GRAMMAR
  if (p.words.length === 0) return [finish(startingWith(commands, p.value)), p.raw]
  const cmd = p.words[0]
  if (!commands.includes(cmd)) return [[], p.raw]
  if (cmd === 'help' && p.words.length === 1) return [finish(startingWith(commands, p.value)), p.raw]
  const spec = options.get(cmd)
  if (p.open == null && p.value.startsWith('-')) {
    return [finish(startingWith([...spec?.flags ?? [], ...spec?.values ?? []], p.value)), p.raw]
  }
  const kind = networkArgument(p)
  if (kind == null) return [[], p.raw]
  // a name that would not print as itself (escapes, bidi controls) is never offered: readline
  // would echo it to the terminal and put it on the line
  return [render(nextLevel(names.filter(n => isTerminalSafe(n)), p.value, kind === 'folders'), p), p.raw]
}

/** 'files' or 'folders' when the word under the cursor is the command's network argument. */
function networkArgument (p: Typed): 'files' | 'folders' | undefined {
  const cmd = p.words[0]
  if (cmd == null) return undefined
  const kind = PROMPT_GRAMMAR.argument.get(cmd)
  if (kind == null || (p.open == null && p.value.startsWith('-'))) return undefined
  const valueOptions = PROMPT_GRAMMAR.options.get(cmd)?.values ?? []
  let positional = 0
  for (let i = 1; i < p.words.length; i++) {
    const w = p.words[i]
    if (valueOptions.includes(w)) i++ // skip the option's value
    else if (!w.startsWith('--')) positional++
  }
  // After `--out` comes a local folder, not a network name.
  if (valueOptions.includes(p.words.at(-1) ?? '')) return undefined
  return positional === 0 ? kind : undefined
}

/**
 * The names one level below what was typed: `holi` offers the folder `holiday photos/`, and
 * `holiday photos/b` offers the files and folders inside it that start with `b`.
 */
export function nextLevel (names: readonly string[], typed: string, foldersOnly = false): string[] {
  const dirEnd = typed.lastIndexOf('/') + 1
  const found = new Set<string>()
  for (const name of names) {
    if (!name.startsWith(typed)) continue
    const slash = name.indexOf('/', dirEnd)
    if (slash !== -1) found.add(name.slice(0, slash + 1))
    else if (!foldersOnly) found.add(name)
  }
  return [...found].sort()
}

const NEEDS_QUOTES = /[\s"'\\$`]/

/** Quote candidates as words; a unique one is finished (quote closed, a space after a file). */
function render (values: string[], p: Typed): string[] {
  if (values.length === 0) return []
  const unique = values.length === 1
  // Quote them all when that lets readline extend the word to their common prefix; when there is
  // nothing to extend (only a listing), show each as plainly as it can be typed.
  const extendable = unique || commonPrefix(values).length > p.value.length
  const style = p.open ?? (extendable && values.some(v => NEEDS_QUOTES.test(v)) ? '"' : undefined)
  return values.map(v => {
    const complete = unique && !v.endsWith('/')
    const q = style ?? (NEEDS_QUOTES.test(v) ? '"' : undefined)
    return quote(v, q, complete) + (complete ? ' ' : '')
  })
}

function quote (value: string, style: Quote | undefined, close: boolean): string {
  if (style == null) return value
  // A single-quoted word cannot contain a single quote: switch to double quotes for it.
  if (style === "'" && !value.includes("'")) return `'${value}${close ? "'" : ''}`
  return `"${value.replace(/["\\$`]/g, '\\$&')}${close ? '"' : ''}`
}

function startingWith (words: readonly string[], typed: string): string[] {
  return words.filter(w => w.startsWith(typed))
}

/** A unique command or option is followed by a space, ready for the next word. */
function finish (candidates: string[]): string[] {
  return candidates.length === 1 ? [candidates[0] + ' '] : candidates
}

export function commonPrefix (values: readonly string[]): string {
  if (values.length === 0) return ''
  let prefix = values[0]
  for (const v of values) {
    let i = 0
    while (i < prefix.length && i < v.length && prefix[i] === v[i]) i++
    prefix = prefix.slice(0, i)
  }
  return prefix
}
