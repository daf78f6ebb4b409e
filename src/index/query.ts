import { MAX_QUERY_LENGTH, MAX_SEARCH_WORDS } from './constants.js'
import { BadRequestError } from './errors.js'

const WORD = /[\p{L}\p{N}\p{M}]+/gu
const MAX_WORD_LENGTH = 64

/**
 * Turn user text into a safe FTS5 query: the words of the text (letters, digits, marks), each
 * quoted and searched as a prefix, all of them required. Operators, quotes, parentheses, `*`,
 * `NEAR`, column filters: none of them survive, so user text never reaches MATCH as syntax.
 * Returns undefined when the text has no word (nothing can match).
 */
export function toFtsQuery (text: string): string | undefined {
  if (text.length > MAX_QUERY_LENGTH) throw new BadRequestError(`search text longer than ${MAX_QUERY_LENGTH} characters`)
  const words = [...new Set((text.normalize('NFKC').toLowerCase().match(WORD) ?? []))]
    .slice(0, MAX_SEARCH_WORDS)
    .map(w => w.slice(0, MAX_WORD_LENGTH))
  if (words.length === 0) return undefined
  return words.map(w => `"${w}"*`).join(' ')
}

/** Paging cursors: opaque to clients, checked on the way back in. */
export type ListCursor = [kind: 'l', name: string, peerId: string]
export type SearchCursor = [kind: 's', rowid: number]
const MAX_CURSOR_LENGTH = 4096

export function encodeCursor (c: ListCursor | SearchCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}

export function decodeListCursor (cursor: string): ListCursor {
  const c = decode(cursor)
  if (c[0] !== 'l' || c.length !== 3 || typeof c[1] !== 'string' || typeof c[2] !== 'string') throw badCursor()
  return c as ListCursor
}

export function decodeSearchCursor (cursor: string): SearchCursor {
  const c = decode(cursor)
  if (c[0] !== 's' || c.length !== 2 || !Number.isSafeInteger(c[1])) throw badCursor()
  return c as SearchCursor
}

function decode (cursor: string): unknown[] {
  if (cursor.length > MAX_CURSOR_LENGTH) throw badCursor()
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  if (!Array.isArray(value)) throw badCursor()
  return value
}

function badCursor (): BadRequestError {
  return new BadRequestError('bad cursor')
}
