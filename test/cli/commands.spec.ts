import assert from 'node:assert/strict'
import { ls } from '../../src/cli/commands/ls.js'
import { search } from '../../src/cli/commands/search.js'
import { get } from '../../src/cli/commands/get.js'
import { status } from '../../src/cli/commands/status.js'
import { share } from '../../src/cli/commands/share.js'
import { limit } from '../../src/cli/commands/limit.js'
import { CommandCancelledError } from '../../src/cli/commands/context.js'
import { buildProgram } from '../../src/cli/program.js'
import { UsageError } from '../../src/config/errors.js'
import { CapturedOutput, FakeNode, commandContext, untilCancelled } from './fakes.js'
import type { NodeCommand } from '../../src/cli/commands/command.js'

/** The commands run as functions of a node, an output and a signal: no process, no network. */
describe('cli: commands as functions', () => {
  let node: FakeNode
  beforeEach(() => { node = new FakeNode() })

  it('ls prints folders or a flat table, or the files as JSON', async () => {
    const ctx = commandContext(node)
    await ls(ctx, undefined, {})
    assert.match(ctx.out.text, /^holiday photos\/\s+4\.\d+ KiB\s+2 files$/m)
    await ls(ctx, 'holiday photos/', { flat: true })
    assert.match(ctx.out.text, /^holiday photos\/pier\.jpg\s+4\.00 KiB\s+bafkreifake/m)
    await ls(ctx, undefined, { json: true })
    assert.deepEqual(ctx.out.values, [node.files])
    assert.deepEqual(node.calls, [['ls', {}], ['ls', { path: 'holiday photos/' }], ['ls', {}]])
  })

  it('search joins its words, and refuses empty text before asking the node', async () => {
    const ctx = commandContext(node)
    await search(ctx, ['beach', 'sunset'], {})
    assert.deepEqual(node.calls, [['search', 'beach sunset']])
    await assert.rejects(search(ctx, ['  '], {}), (e: any) => e instanceof UsageError && e.message === 'usage: search TEXT')
    assert.equal(node.calls.length, 1)
  })

  it('get resolves --out from the working folder, shows progress unless --json, prints one result', async () => {
    const ctx = commandContext(node)
    await get(ctx, 'notes.md', { out: 'dl' })
    assert.deepEqual(node.calls, [['get', 'notes.md', '/work/here/dl']])
    assert.equal(ctx.out.bars.length, 1)
    assert.equal(ctx.out.bars[0].stopped, true)
    assert.equal(ctx.out.lines.at(-1), '20 B in 0.2 s (100 B/s) from 1 peer -> /work/here/dl/notes.md')
    await get(ctx, 'notes.md', { json: true })
    assert.equal(ctx.out.bars.length, 1, 'no progress display with --json')
    assert.equal((ctx.out.values[0] as any).path, '/dl/notes.md')
  })

  it('a cancelled get rejects with how to resume it, and its bar is gone', async () => {
    node.getImpl = untilCancelled
    const controller = new AbortController()
    const ctx = commandContext(node, controller.signal)
    const running = get(ctx, 'a b.txt', {})
    setImmediate(() => controller.abort(new CommandCancelledError('cancelled')))
    await assert.rejects(running, (e: any) => e instanceof CommandCancelledError && e.message === 'get cancelled; what was downloaded is kept: get "a b.txt" again to resume')
    assert.equal(ctx.out.bars[0].stopped, true)
  })

  it('status and share print one summary each, or JSON', async () => {
    const ctx = commandContext(node)
    await status(ctx, {})
    assert.match(ctx.out.text, /^peer id:\s+12D3KooWself$/m)
    await share(ctx, '../docs', { json: true })
    assert.deepEqual(ctx.out.values, [{ path: '/work/docs', files: 2 }])
  })

  it('limit parses rates, refuses a bad one before asking the node, and prints the limits in force', async () => {
    const ctx = commandContext(node)
    await limit(ctx, { upload: '2MiB' })
    assert.deepEqual(node.calls, [['limit', { upload: 2 * 1024 * 1024, download: undefined }]])
    assert.equal(ctx.out.lines.at(-1), 'upload limit 2 MiB/s, download limit none (local network exempt)')
    await assert.rejects(limit(ctx, { download: 'fast' }), (e: any) => e instanceof UsageError && /^--download: /.test(e.message))
    assert.equal(node.calls.length, 1)
  })

  it('limit --peer-upload/--peer-download change the per-peer limits, and say them', async () => {
    const ctx = commandContext(node)
    await limit(ctx, { peerUpload: '512KiB' })
    assert.deepEqual(node.calls, [['limit', { upload: undefined, download: undefined, perPeer: { upload: 512 * 1024, download: undefined } }]])
    assert.match(ctx.out.lines.at(-1) ?? '', /; per peer: upload 512 KiB\/s, download none$/)
    await limit(ctx, {})
    assert.match(ctx.out.lines.at(-1) ?? '', /; per peer: upload 512 KiB\/s, download none$/)
    await assert.rejects(limit(ctx, { peerDownload: 'lots' }), (e: any) => e instanceof UsageError && /^--peer-download: /.test(e.message))
  })
})

describe('cli: the command line runs the same functions', () => {
  async function run (args: string[], node = new FakeNode()): Promise<{ out: CapturedOutput, node: FakeNode, opened: NodeCommand[] }> {
    const out = new CapturedOutput()
    const opened: NodeCommand[] = []
    await buildProgram({ out, writeErr: text => out.print(text), open: async (_opts, command) => { opened.push(command); return node } }).parseAsync(args, { from: 'user' })
    return { out, node, opened }
  }

  it('parses options and arguments with commander, runs the command, closes the node', async () => {
    const r = await run(['ls', '--flat', '--data-dir', '/tmp/x'])
    assert.match(r.out.text, /^notes\.md\s+8 B/m)
    assert.equal(r.node.closed, true)
    const s = await run(['search', 'beach', 'sunset', '--json'])
    assert.deepEqual(s.node.calls, [['search', 'beach sunset']])
    assert.equal(s.out.values.length, 1)
  })

  it('share, unshare and limit ask for a running node; ls and get may use a short-lived one', async () => {
    assert.equal((await run(['limit', '--upload', '1MiB'])).opened[0].daemonOnly, true)
    assert.equal((await run(['share', 'x'])).opened[0].daemonOnly, true)
    assert.equal((await run(['get', 'notes.md'])).opened[0].daemonOnly, undefined)
  })

  it('the prompt-only peers command is not a command-line command', async () => {
    // `fsnode peers` is `fsnode shell peers` (shell is the default command)
    await assert.rejects(run(['peers']), (e: any) => e.code === 'commander.excessArguments')
  })
})

describe('cli: bad arguments are refused before a node is opened', () => {
  it('limit with a bad rate and search with no words never open a node', async () => {
    let opened = 0
    const program = (): ReturnType<typeof buildProgram> => buildProgram({ out: new CapturedOutput(), writeErr: () => {}, open: async () => { opened++; return new FakeNode() } })
    await assert.rejects(program().parseAsync(['limit', '--upload', '3 bananas'], { from: 'user' }), (e: any) => e instanceof UsageError && /^--upload: /.test(e.message))
    await assert.rejects(program().parseAsync(['search', ''], { from: 'user' }), (e: any) => e instanceof UsageError && e.message === 'usage: search TEXT')
    assert.equal(opened, 0)
  })
})
