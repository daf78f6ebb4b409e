import { MAX_REMOTE_TEXT } from './constants.js'

/*
 * Text that came from the network, made safe to print on a terminal. A hostile provider or
 * coordinator must not be able to retitle the window, move the cursor, rewrite an earlier
 * line with '\r', or make a line read backwards: libraries like strip-ansi only handle ESC
 * sequences, not the 8-bit C1 forms, bidi controls or zero-width characters, hence this.
 */

// ESC sequences, whole: CSI (ESC [ params final), the string types OSC/DCS/SOS/PM/APC up to
// BEL or ST (or the end of the text: an unterminated title must not survive), and the
// two-character escapes; then the same as 8-bit C1 controls (0x9b CSI, 0x9d OSC, ...)
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b(?:\[[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[\u0020-\u002f]*[\u0030-\u007e]?)|\u009b[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/g
// line breaks of every kind become a space: the text stays on its one line
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g
// every other control (C0, DEL, C1), format character (bidi embeddings, overrides, isolates and
// marks, zero-width space/joiners, U+FEFF, tag characters) and lone surrogate is dropped
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu

/**
 * `text` without control characters, escape sequences, bidi controls and zero-width
 * characters, on one line, cut to `max` characters (an ellipsis marks the cut).
 */
export function terminalText (text: string, max = MAX_REMOTE_TEXT): string {
  const clean = String(text).replace(ESCAPES, '').replace(BREAKS, ' ').replace(INVISIBLE, '')
  if (clean.length <= max) return clean
  // cut on a code point boundary, never inside a surrogate pair
  return `${Array.from(clean).slice(0, max).join('')}…`
}

/** True when `text` would print as itself (nothing to strip, within `max`). */
export function isTerminalSafe (text: string, max = Number.MAX_SAFE_INTEGER): boolean {
  return terminalText(text, max) === text
}

// what JSON.stringify leaves raw inside strings although a terminal acts on it or hides it:
// DEL and C1 controls, format characters, line and paragraph separators
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu

/** JSON.stringify whose output prints safely: such characters become \uXXXX escapes (the
 * data is unchanged for a JSON reader). Lone surrogates are already escaped by JSON.stringify. */
export function terminalJson (value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_UNSAFE, c => {
    let out = '' // both halves of an astral character (tag characters are U+E0000 up)
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`
    return out
  })
}
