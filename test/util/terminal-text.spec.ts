import assert from 'node:assert/strict'
import { isTerminalSafe, terminalJson, terminalText } from '../../src/util/terminal-text.js'
import { MAX_REMOTE_TEXT } from '../../src/util/constants.js'

/** Nothing a terminal would act on or hide: no C0/C1 controls, no format characters. */
function assertInert (s: string): void {
  assert.doesNotMatch(s, /[\p{Cc}\p{Cf}\u2028\u2029]/u, JSON.stringify(s))
}

describe('util: terminalText (remote text made printable)', () => {
  const cases: Array<[string, string, string]> = [
    ['an OSC title change ended by BEL', 'a\u001b]0;pwned\u0007b', 'ab'],
    ['an OSC title change ended by ST', 'a\u001b]2;pwned\u001b\\b', 'ab'],
    ['an unterminated OSC (the rest is its payload)', 'a\u001b]0;pwned', 'a'],
    ['CSI colour and cursor moves', '\u001b[31mred\u001b[0m \u001b[2K\u001b[1A', 'red '],
    ['a private-mode CSI', '\u001b[?1049hx', 'x'],
    ['two-character escapes (RIS, charset)', '\u001bcA\u001b(0B', 'AB'],
    ['8-bit CSI and OSC', '\u009b31mX\u009d0;t\u0007Y', 'XY'],
    ['a DCS string', '\u001bPq#0;2;0;0;0\u001b\\Z', 'Z'],
    ['\\r rewriting the line, and newlines', 'bad\rdone, 1 file verified OK\nnext', 'bad done, 1 file verified OK next'],
    ['bidi overrides, isolates and marks', 'invoice\u202efdp.exe\u2066x\u2069\u200e\u200f\u061c', 'invoicefdp.exex'],
    ['zero-width characters and the BOM', 'a\u200bb\u200cc\u200dd\ufeffe', 'abcde'],
    ['tag characters', 'a\u{e0041}\u{e0042}b', 'ab'],
    ['other C0, DEL and C1', 'a\u0000\u0007\u0008\u007f\u0085\u0080\u0099b', 'a b'],
    ['a lone surrogate', 'a\ud800b', 'ab'],
    ['ordinary text, accents, emoji, right-to-left letters', 'Café 東京 🎉 שלום', 'Café 東京 🎉 שלום']
  ]
  for (const [what, input, expected] of cases) {
    it(`strips ${what}`, () => {
      const out = terminalText(input)
      assert.equal(out, expected)
      assertInert(out)
    })
  }

  it('caps the length at MAX_REMOTE_TEXT characters, with an ellipsis, without splitting a character', () => {
    const out = terminalText('🎉'.repeat(10_000))
    assert.equal(Array.from(out).length, MAX_REMOTE_TEXT + 1)
    assert.ok(out.endsWith('🎉…'))
    assert.equal(terminalText('x'.repeat(50), 10), `${'x'.repeat(10)}…`)
  })

  it('isTerminalSafe tells names that print as themselves', () => {
    assert.equal(isTerminalSafe('photos/holiday 2024.jpg'), true)
    assert.equal(isTerminalSafe('a\u001b[2Jb'), false)
    assert.equal(isTerminalSafe('invoice\u202efdp.exe'), false)
  })

  it('terminalJson escapes C1 and format characters but keeps the data exact', () => {
    const value = { name: 'x\u009b2J\u202e\u200b\u2028\u{e0041}\u001b]0;t\u0007' }
    const text = terminalJson(value, 2)
    assertInert(text.replace(/\n/g, ''))
    assert.deepEqual(JSON.parse(text), value)
  })
})
