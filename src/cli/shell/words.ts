/**
 * Splitting a typed line into words the way a POSIX shell does for what people type (quotes,
 * backslashes), so that names with spaces work: `get "holiday photos/a b.txt"`. Commander then
 * parses the words as it parses a command line; Tab completion uses the words' positions.
 */

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
