import assert from 'node:assert/strict'
import { lex, splitArgs } from '../../src/cli/shell/words.js'
import { PROMPT_GRAMMAR } from '../../src/cli/shell/commands.js'
import { commonPrefix, complete, nextLevel, wantsNames } from '../../src/cli/shell/complete.js'

const NAMES = [
  'holiday photos/beach sunset.txt',
  'holiday photos/beach day.jpg',
  'holiday photos/2024/deep/pier.jpg',
  'notes.md',
  "it's here.txt",
  'music/a.mp3'
]

/** What readline does with a completion on the first Tab (Node 24's rules). */
function tab (line: string, names = NAMES): string {
  const [candidates, on] = complete(line, names)
  if (candidates.length === 0) return line
  const prefix = commonPrefix(candidates.filter(c => c !== ''))
  const before = line.slice(0, line.length - on.length)
  if (prefix.startsWith(on) && prefix.length > on.length) return before + prefix
  if (!on.startsWith(prefix)) return before + prefix
  return line
}

describe('shell: splitting a line into words', () => {
  it('splits on spaces and tabs, ignoring runs of them', () => {
    assert.deepEqual(splitArgs('  ls \t --flat   photos '), ['ls', '--flat', 'photos'])
    assert.deepEqual(splitArgs(''), [])
    assert.deepEqual(splitArgs('   '), [])
  })

  it('keeps quoted names with spaces as one word', () => {
    assert.deepEqual(splitArgs('get "holiday photos/a b.txt"'), ['get', 'holiday photos/a b.txt'])
    assert.deepEqual(splitArgs("get 'holiday photos/a b.txt' --out dl"), ['get', 'holiday photos/a b.txt', '--out', 'dl'])
    assert.deepEqual(splitArgs('get holiday\\ photos/a\\ b.txt'), ['get', 'holiday photos/a b.txt'])
  })

  it('handles escapes inside double quotes, quotes inside quotes, and joined pieces', () => {
    assert.deepEqual(splitArgs('get "say \\"hi\\" \\\\ \\n.txt"'), ['get', 'say "hi" \\ \\n.txt'])
    assert.deepEqual(splitArgs('get "it\'s here.txt"'), ['get', "it's here.txt"])
    assert.deepEqual(splitArgs('get \'it\'"\'"\'s\''), ['get', "it's"])
    assert.deepEqual(splitArgs('get pre"fix mid"post'), ['get', 'prefix midpost'])
    assert.deepEqual(splitArgs("get 'no \\escape'"), ['get', 'no \\escape'])
  })

  it('keeps empty quoted words', () => {
    assert.deepEqual(splitArgs('search ""'), ['search', ''])
  })

  it('closes a quote left open at the end of the line, and keeps a trailing backslash', () => {
    assert.deepEqual(splitArgs('ls "holiday photos/'), ['ls', 'holiday photos/'])
    assert.deepEqual(splitArgs("ls 'holiday"), ['ls', 'holiday'])
    assert.deepEqual(splitArgs('get a\\'), ['get', 'a\\'])
  })

  it('says where each word is and which quote is still open', () => {
    assert.deepEqual(lex('get "a b'), [
      { value: 'get', start: 0, end: 3 },
      { value: 'a b', start: 4, end: 8, open: '"' }
    ])
    assert.deepEqual(lex("ls 'x' "), [{ value: 'ls', start: 0, end: 2 }, { value: 'x', start: 3, end: 6 }])
  })
})

describe('shell: Tab completion', () => {
  it('completes command names, with a space after a unique one', () => {
    assert.deepEqual(complete('se', NAMES), [['search '], 'se'])
    assert.deepEqual(complete('s', NAMES), [['search', 'status', 'share'], 's'])
    assert.deepEqual(complete('', NAMES)[0], [...PROMPT_GRAMMAR.names])
    assert.ok(PROMPT_GRAMMAR.names.includes('get') && PROMPT_GRAMMAR.names.includes('exit'))
    assert.deepEqual(complete('help st', NAMES), [['status '], 'st'])
    assert.deepEqual(complete('frobnicate x', NAMES), [[], 'x'])
  })

  it("completes a command's options", () => {
    assert.deepEqual(complete('ls --f', NAMES), [['--flat '], '--f'])
    assert.deepEqual(complete('get x --o', NAMES), [['--out '], '--o'])
    assert.deepEqual(complete('get x --', NAMES), [['--json', '--out'], '--'])
    assert.deepEqual(complete('status --', NAMES), [['--json '], '--'])
    assert.deepEqual(complete('exit --', NAMES), [[], '--'])
  })

  it('offers a folder one level down, quoted when its name has a space and left open', () => {
    assert.deepEqual(complete('get holi', NAMES), [['"holiday photos/'], 'holi'])
    assert.equal(tab('get holi'), 'get "holiday photos/')
  })

  it('goes on inside a quoted folder and closes the quote of a unique file', () => {
    assert.deepEqual(complete('get "holiday photos/beach s', NAMES), [['"holiday photos/beach sunset.txt" '], '"holiday photos/beach s'])
    assert.equal(tab('get "holiday photos/beach s'), 'get "holiday photos/beach sunset.txt" ')
    assert.equal(tab('get "holiday photos/'), 'get "holiday photos/')
    assert.equal(tab('get "holiday photos/b'), 'get "holiday photos/beach ')
    assert.deepEqual(splitArgs(tab(tab(tab('get holi') + 'b') + 's')), ['get', 'holiday photos/beach sunset.txt'])
  })

  it('completes plain names without quotes, and a unique file with a space after it', () => {
    assert.deepEqual(complete('get no', NAMES), [['notes.md '], 'no'])
    assert.deepEqual(complete('get mu', NAMES), [['music/'], 'mu'])
    assert.deepEqual(complete('get music/', NAMES), [['music/a.mp3 '], 'music/'])
  })

  it('keeps the quote style the user opened, and switches to double quotes when a name has a single quote', () => {
    assert.deepEqual(complete("get 'holi", NAMES), [["'holiday photos/"], "'holi"])
    assert.deepEqual(complete('get it', NAMES), [['"it\'s here.txt" '], 'it'])
    assert.equal(tab("get 'it"), 'get "it\'s here.txt" ')
  })

  it('turns an escaped name into its quoted form', () => {
    assert.equal(tab('get holiday\\ ph'), 'get "holiday photos/')
  })

  it('lists every entry plainly when there is no common prefix to extend', () => {
    assert.deepEqual(complete('get ', NAMES), [['"holiday photos/', '"it\'s here.txt"', 'music/', 'notes.md'].map(s => s.replace(/"$/, '')), ''])
    assert.equal(tab('get '), 'get ')
  })

  it('offers only folders to ls', () => {
    assert.deepEqual(complete('ls ', NAMES), [['"holiday photos/', 'music/'], ''])
    assert.deepEqual(complete('ls "holiday photos/', NAMES), [['"holiday photos/2024/'], '"holiday photos/'])
    assert.deepEqual(complete('ls --flat no', NAMES), [[], 'no'])
  })

  it('completes only the first argument, never the folder after --out', () => {
    assert.deepEqual(complete('get notes.md ', NAMES), [[], ''])
    assert.deepEqual(complete('get --out dl no', NAMES), [['notes.md '], 'no'])
    assert.deepEqual(complete('get notes.md --out ', NAMES), [[], ''])
    assert.deepEqual(complete('search no', NAMES), [[], 'no'])
  })

  it('says when it needs the names on the network', () => {
    assert.equal(wantsNames('get '), true)
    assert.equal(wantsNames('ls "holi'), true)
    assert.equal(wantsNames('get'), false)
    assert.equal(wantsNames('search x'), false)
    assert.equal(wantsNames('get --o'), false)
    assert.equal(wantsNames('get a --out '), false)
  })

  it('finds the next level of names', () => {
    assert.deepEqual(nextLevel(NAMES, 'holiday photos/'), ['holiday photos/2024/', 'holiday photos/beach day.jpg', 'holiday photos/beach sunset.txt'])
    assert.deepEqual(nextLevel(NAMES, 'holiday photos/', true), ['holiday photos/2024/'])
    assert.deepEqual(nextLevel(NAMES, 'zzz'), [])
  })
})
