import assert from 'node:assert/strict'
import { homedir, tmpdir } from 'node:os'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runLine, PROMPT_GRAMMAR } from '../../src/cli/shell/commands.js'
import { complete } from '../../src/cli/shell/complete.js'
import { Shell } from '../../src/cli/shell/repl.js'
import { appendHistory, loadHistory } from '../../src/cli/shell/history.js'
import { CapturedOutput, FakeNode, STATUS, file, untilCancelled } from './fakes.js'
import { until as waitUntil } from '../../kit/wait.js'
import type { ShellContext } from '../../src/cli/shell/commands.js'
import type { NodeApi } from '../../src/node/api.js'

function context (node: NodeApi, daemon = true): ShellContext & { out: CapturedOutput, lines: string[], bars: CapturedOutput['bars'] } {
  const out = new CapturedOutput()
  return { node, out, cwd: '/work/here', dataDir: '/data', daemon, lines: out.lines, bars: out.bars }
}

describe('shell: commands', () => {
  let node: FakeNode
  let ctx: ReturnType<typeof context>
  beforeEach(() => { node = new FakeNode(); ctx = context(node) })

  it('ls shows folders with their file count, then files; --flat one line per file', async () => {
    assert.equal(await runLine('ls', ctx), 'continue')
    const text = ctx.lines.join('\n')
    assert.match(text, /holiday photos\/\s+4\.\d+ KiB\s+2 files/)
    assert.match(text, /notes\.md\s+8 B/)
    ctx.lines.length = 0
    await runLine('ls --flat', ctx)
    assert.match(ctx.lines.join('\n'), /holiday photos\/beach sunset\.txt\s+20 B\s+bafkreifake/)
  })

  it('ls PATH lists under a quoted folder name', async () => {
    await runLine('ls "holiday photos/"', ctx)
    assert.deepEqual(node.calls, [['ls', { path: 'holiday photos/' }]])
    assert.match(ctx.lines.join('\n'), /holiday photos\/pier\.jpg/)
    node.files = []
    await runLine('ls', ctx)
    assert.equal(ctx.lines.at(-1), 'no files on the network')
  })

  it('search looks for all the words given', async () => {
    await runLine('search beach sunset', ctx)
    assert.deepEqual(node.calls, [['search', 'beach sunset']])
    await runLine('search nothing', ctx)
    assert.equal(ctx.lines.at(-1), 'no file matches "nothing"')
    await runLine('search', ctx)
    assert.equal(ctx.lines.at(-1), "error: missing required argument 'text'")
    await runLine('search ""', ctx)
    assert.equal(ctx.lines.at(-1), 'error: usage: search TEXT')
  })

  it('get downloads with a progress display and prints where the file went', async () => {
    await runLine('get "holiday photos/beach sunset.txt" --out dl', ctx)
    assert.deepEqual(node.calls, [['get', 'holiday photos/beach sunset.txt', '/work/here/dl']])
    assert.equal(ctx.bars.length, 1)
    assert.equal(ctx.bars[0].events.length, 2)
    assert.equal(ctx.bars[0].stopped, true)
    assert.match(ctx.lines.at(-1) ?? '', /^20 B in 0\.2 s \(100 B\/s\) from 1 peer -> \/work\/here\/dl\/holiday photos\/beach sunset\.txt$/)
  })

  it('get says how many chunks a resumed download kept, and how many files a folder had', async () => {
    node.getImpl = async (target, o) => ({ fileId: 'f', name: target, size: 3 * 1024 * 1024, path: `${o.out ?? ''}/x`, seconds: 1, bytesPerSecond: 1024, providers: ['a', 'b'], resumedChunks: 7, files: [] })
    await runLine('get photos/ --out=/tmp/o', ctx)
    assert.equal(ctx.lines.at(-1), '0 files, 3.00 MiB in 1.0 s (1.00 KiB/s) from 2 peers, 7 chunks resumed -> /tmp/o/x')
  })

  it('get without a name, or with an unquoted name with spaces, is a usage error', async () => {
    await runLine('get', ctx)
    assert.equal(ctx.lines.at(-1), "error: missing required argument 'target'")
    await runLine('get holiday photos/a.txt', ctx)
    assert.match(ctx.lines.at(-1) ?? '', /^error: too many arguments for 'get'\..*\(quote names with spaces\)$/)
    await runLine('get a --out', ctx)
    assert.equal(ctx.lines.at(-1), "error: option '--out <dir>' argument missing")
    assert.deepEqual(node.calls, [])
  })

  it('a cancelled get stops its progress, says how to resume and returns to the prompt', async () => {
    node.getImpl = untilCancelled
    const controller = new AbortController()
    const running = runLine('get "a b.txt"', ctx, controller.signal)
    await new Promise(resolve => setImmediate(resolve))
    controller.abort(new Error('cancelled'))
    assert.equal(await running, 'continue')
    assert.equal(ctx.lines.at(-1), 'get cancelled; what was downloaded is kept: get "a b.txt" again to resume')
    assert.equal(ctx.bars[0].stopped, true)
  })

  it('Ctrl-C returns to the prompt even when the node does not notice the cancel', async () => {
    node.getImpl = async (_t, o) => { o.onProgress?.({ bytesDone: 1, bytesTotal: 2, peers: 1, rate: 1 }); return await new Promise(() => {}) }
    const controller = new AbortController()
    const running = runLine('get x', ctx, controller.signal)
    setTimeout(() => controller.abort(new Error('cancelled')), 10)
    assert.equal(await running, 'continue')
    assert.equal(ctx.bars[0].stopped, true)
    const searching = runLine('search x', ctx, AbortSignal.abort())
    assert.equal(await searching, 'continue')
    assert.equal(ctx.lines.at(-1), 'cancelled')
  })

  it('an error is one line and the prompt goes on', async () => {
    node.search = async () => { throw new Error('coordinator unreachable\n    at somewhere') }
    assert.equal(await runLine('search x', ctx), 'continue')
    assert.deepEqual(ctx.lines, ['error: coordinator unreachable'])
    assert.equal(await runLine('frobnicate', ctx), 'continue')
    assert.equal(ctx.lines.at(-1), "error: unknown command 'frobnicate'; type help for the list")
    await runLine('statu', ctx)
    assert.equal(ctx.lines.at(-1), "error: unknown command 'statu' (Did you mean status?); type help for the list")
    await runLine('ls --bogus', ctx)
    assert.equal(ctx.lines.at(-1), "error: unknown option '--bogus'")
  })

  it('names and error text from the network print without escapes, \\r or bidi controls; Tab never offers such a name', async () => {
    node.files = [file('evil\u001b]0;pwned\u0007\u202efdp.exe'), file('wipe\u001b[2J\rdone.txt'), file('plain.txt')]
    await runLine('ls --flat', ctx)
    await runLine('search e', ctx)
    node.get = async () => { throw new Error(`ERROR: \u001b]0;pwned\u0007\rdone, 1 file verified OK\u202e${'Z'.repeat(5000)}`) }
    await runLine('get plain.txt', ctx)
    const text = ctx.lines.join('\n')
    assert.doesNotMatch(text, /[\u001b\r\u0007\u202e]/u, JSON.stringify(text)) // eslint-disable-line no-control-regex
    assert.match(text, /^evilfdp\.exe\s/m)
    assert.match(text, /^wipe done\.txt\s/m)
    assert.match(ctx.lines.at(-1) ?? '', /^error: ERROR: {2}done, 1 file verified OKZ+…$/)
    assert.ok((ctx.lines.at(-1) ?? '').length < 2100, 'capped')
    assert.deepEqual(complete('get ', node.files.map(f => f.name))[0], ['plain.txt '])
  })

  it('share and unshare resolve paths like a shell and need a running node', async () => {
    await runLine('share "../my docs"', ctx)
    await runLine('unshare ~/music', ctx)
    assert.deepEqual(node.calls, [['share', '/work/my docs'], ['unshare', join(homedir(), 'music')]])
    assert.equal(ctx.lines[0], 'sharing /work/my docs (2 files)')
    const alone = context(node, false)
    await runLine('share x', alone)
    assert.equal(alone.lines[0], 'error: no node is running on /data (share needs one); start one with: fsnode start --data-dir /data')
    await runLine('limit --upload 1MiB', alone)
    assert.match(alone.lines[1], /^error: no node is running on \/data \(limit needs one\)/)
    assert.deepEqual(node.calls.slice(2), [], 'nothing reached the node')
  })

  it('peers and status come from the status', async () => {
    await runLine('peers', ctx)
    assert.deepEqual(ctx.lines, ['peers:       3 connected', 'coordinator: /ip4/127.0.0.1/tcp/7870/p2p/12D3KooWcoord connected'])
    ctx.lines.length = 0
    node.status = async () => ({ ...STATUS, shares: [{ path: '/home/me/docs', kind: 'share' }] })
    await runLine('status', ctx)
    assert.match(ctx.lines.join('\n'), /peer id:\s+12D3KooWself[\s\S]*also shared: \/home\/me\/docs\npeers:\s+3 connected/)
  })

  it('help lists every command; exit and quit leave; an empty line does nothing', async () => {
    await runLine('help', ctx)
    for (const name of PROMPT_GRAMMAR.names.filter(n => n !== 'quit')) assert.match(ctx.lines.join('\n'), new RegExp(`^  ${name} `, 'm'))
    ctx.lines.length = 0
    await runLine('help get', ctx)
    assert.equal(ctx.lines[0], 'Usage: get [options] <target>')
    assert.match(ctx.out.text, /--out <dir>/)
    ctx.lines.length = 0
    await runLine('get --help', ctx)
    assert.equal(ctx.lines[0], 'Usage: get [options] <target>')
    assert.deepEqual(node.calls, [], 'help runs nothing')
    assert.equal(await runLine('exit', ctx), 'exit')
    assert.equal(await runLine('  quit ', ctx), 'exit')
    const before = ctx.lines.length
    assert.equal(await runLine('   ', ctx), 'continue')
    assert.equal(ctx.lines.length, before)
  })
})

/** Enough of a terminal for readline: raw mode, keys in, escape codes out. */
class FakeTty extends PassThrough {
  isTTY = true
  isRaw = false
  columns = 200
  rows = 50
  text = ''
  setRawMode (mode: boolean): this { this.isRaw = mode; return this }
}

async function until (what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  await waitUntil(check, what, timeoutMs, 5)
}

describe('shell: the prompt loop', () => {
  let dataDir: string
  let node: FakeNode
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'fsnode-shell-')); node = new FakeNode() })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  function terminal (): { input: FakeTty, output: FakeTty, done: Promise<void>, type: (s: string) => void } {
    const input = new FakeTty()
    const output = new FakeTty()
    output.setEncoding('utf8').on('data', (d: string) => { output.text += d })
    const shell = new Shell({ node, dataDir, daemon: true, input: input as any, output: output as any })
    return { input, output, done: shell.run(), type: s => { input.write(s) } }
  }

  it('off a terminal runs piped lines in order, with no prompt', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    let text = ''
    output.setEncoding('utf8').on('data', d => { text += d })
    const done = new Shell({ node, dataDir, daemon: true, input: input as any, output: output as any }).run()
    input.end('search beach\nbogus\nls --flat\n')
    await done
    assert.deepEqual(node.calls.map(c => c[0]), ['search', 'ls'])
    assert.ok(!text.includes('fsnode> '))
    assert.ok(text.indexOf('beach sunset') < text.indexOf('error: unknown command') && text.indexOf('error: unknown command') < text.indexOf('notes.md'))
  })

  it('keeps history in the data dir and recalls it with Up in the next session', async () => {
    const t = terminal()
    await until('the prompt', () => t.output.text.includes('fsnode> '))
    t.type('search beach\r')
    await until('search', () => node.calls.length === 1)
    t.type('ls\r')
    await until('ls', () => node.calls.length === 2)
    t.type('\x04') // Ctrl-D on an empty line leaves
    await t.done
    assert.equal(await readFile(join(dataDir, 'shell_history'), 'utf8'), 'search beach\nls\n')

    const again = terminal()
    await until('the prompt', () => again.output.text.includes('fsnode> '))
    again.type('\x1b[A\x1b[A\r') // Up twice: the search
    await until('the recalled search', () => node.calls.length === 3)
    assert.deepEqual(node.calls[2], ['search', 'beach'])
    again.type('exit\r')
    await again.done
  })

  it('caps the history file at 1000 lines, and keeps one entry per line', async () => {
    const file = join(dataDir, 'shell_history')
    await writeFile(file, Array.from({ length: 1010 }, (_, i) => `ls ${i}`).join('\n') + '\n')
    const history = await loadHistory(file)
    assert.equal(history.length, 1000)
    assert.equal(history[0], 'ls 1009')
    assert.equal(history.at(-1), 'ls 10')
    assert.equal((await readFile(file, 'utf8')).split('\n').length, 1001)
    await appendHistory(file, 'get "a\nb"')
    await appendHistory(file, '   ')
    assert.match(await readFile(file, 'utf8'), /ls 1009\nget "a b"\n$/)
    assert.deepEqual(await loadHistory(join(dataDir, 'missing', 'shell_history')), [])
  })

  it('completes a name with Tab from the network listing', async () => {
    const t = terminal()
    await until('the prompt', () => t.output.text.includes('fsnode> '))
    t.type('get no')
    t.type('\t')
    await until('the completion', () => t.output.text.includes('tes.md'))
    t.type('\r')
    await until('the get', () => node.calls.some(c => c[0] === 'get'))
    assert.deepEqual(node.calls.find(c => c[0] === 'get'), ['get', 'notes.md', undefined])
    t.type('exit\r')
    await t.done
  })

  it('Ctrl-D during a command lets it finish, then leaves', async () => {
    node.getImpl = async (target, o) => { await new Promise(resolve => setTimeout(resolve, 50)); return await new FakeNode().getImpl(target, o) }
    const t = terminal()
    await until('the prompt', () => t.output.text.includes('fsnode> '))
    t.type('get notes.md\r')
    await until('the get', () => node.calls.length === 1)
    t.type('\x04')
    await t.done
    assert.match(t.output.text, /20 B in 0\.2 s .* -> \/dl\/notes\.md\n$/)
  })

  it('Ctrl-C cancels a running get without leaving, clears a typed line, and twice on an empty line leaves', async () => {
    node.getImpl = untilCancelled
    const sigintListeners = process.listenerCount('SIGINT')
    const t = terminal()
    await until('the prompt', () => t.output.text.includes('fsnode> '))
    t.type('get notes.md\r')
    await until('the get', () => node.calls.length === 1)
    t.type('\x03')
    await until('the cancel', () => t.output.text.includes('get cancelled'))
    t.type('abc\x03')
    await until('the cleared line', () => t.output.text.includes('abc^C'))
    t.type('status\r')
    await until('status', () => node.calls.length === 2)
    assert.deepEqual(node.calls[1], ['status'])
    t.type('\x03')
    await until('the hint', () => t.output.text.includes('Ctrl-C again'))
    t.type('\x03')
    await t.done
    assert.equal(process.listenerCount('SIGINT'), sigintListeners)
  })
})
