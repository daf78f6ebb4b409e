import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { BIN, Sandbox, sleep, waitFor } from '../e2e/harness.js'
import { sha256File, writeRandom, writeText } from '../e2e/files.js'
import type { ChildProcess } from 'node:child_process'
import type { Daemon } from '../e2e/harness.js'

/**
 * The prompt as a person uses it: `fsnode shell` on a pseudo-terminal made by util-linux
 * `script` (native pty addons do not load under Node 24 here), against a real coordinator and
 * a real node.
 */

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0
const SMALL = 'pty-sample-data.bin'
const BIG = 'big-for-cancel.bin'
/** 1 MiB chunks (the manifest's table), enough of them that a cancel lands mid-way. */
const BIG_SIZE = 96 * 1024 * 1024
const PROMPT_AT_END = /fsnode> $/
/** CSI sequences (cursor moves, colours), and one cut off at the end of what arrived so far. */
// eslint-disable-next-line no-control-regex -- escape sequences are what it strips
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|\x1b\[[0-9;?]*$/g

function shellQuote (s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`
}

/** A terminal running `fsnode ARGS`: type keys, read the screen's text without escape codes. */
class Terminal {
  readonly child: ChildProcess
  private raw = ''

  constructor (args: string[], sb: Sandbox) {
    // the sandbox's own HOME/XDG folders, no FSNODE_*, DEBUG or mDNS, a known terminal type
    const env = sb.env({ TERM: 'xterm-256color' })
    const cwd = sb.dir
    // A wide window so no line wraps; exec so a signal or hang-up reaches fsnode itself.
    const command = `stty cols 200 rows 50; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => { this.raw += d })
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.raw += d })
  }

  get text (): string {
    return this.raw.replace(ANSI, '')
  }

  /** Where the screen's text ends now: look for what comes next from here. */
  mark (): number {
    return this.text.length
  }

  type (keys: string): void {
    this.child.stdin?.write(keys)
  }

  async expect (pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const since = this.text.slice(from)
      if (pattern.test(since)) return since
      if (this.child.exitCode != null) break
      await sleep(25)
    }
    throw new Error(`the prompt never showed ${String(pattern)}; it shows:\n${this.text.slice(from).slice(-3000)}`)
  }

  /** Type a line, wait for the next prompt, and return what the command printed. */
  async run (line: string, timeoutMs = 15_000): Promise<string> {
    const from = this.mark()
    this.type(line + '\r')
    const since = await this.expect(PROMPT_AT_END, from, timeoutMs)
    return since.replace(PROMPT_AT_END, '')
  }

  async exited (timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode != null) return this.child.exitCode
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fsnode shell did not exit:\n${this.text.slice(-2000)}`)), timeoutMs)
      this.child.once('exit', code => { clearTimeout(timer); resolve(code) })
    })
  }

  kill (): void {
    if (this.child.exitCode == null) this.child.kill('SIGKILL')
  }
}

/**
 * Slow a provider down to a tenth of its speed by stopping it most of the time, so a download
 * from it lasts long enough to be cancelled mid-way. Returns a function that ends the
 * throttling with the process stopped.
 */
function throttle (provider: Daemon): () => Promise<void> {
  let on = true
  const loop = (async () => {
    while (on) {
      provider.child.kill('SIGCONT')
      await sleep(10)
      provider.child.kill('SIGSTOP')
      await sleep(90)
    }
  })()
  return async () => { on = false; await loop }
}

describe('e2e: the interactive prompt on a terminal', function () {
  this.timeout(40_000)
  let sb: Sandbox
  let coord: Daemon
  let provider: Daemon
  let term: Terminal | undefined

  before(async function () {
    if (!HAS_SCRIPT) {
      console.warn('    skipped: `script` (util-linux) is not installed; it provides the pseudo-terminal these tests need')
      this.skip()
    }
    sb = await Sandbox.create()
    await writeRandom(sb.path('share', SMALL), 300 * 1024)
    await writeText(sb.path('share', 'holiday photos', 'beach sunset.txt'), 'sunset over the sea\n')
    await writeRandom(sb.path('share', BIG), BIG_SIZE)
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    provider = await sb.daemon(['start', '--data-dir', sb.path('node'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])
  })

  afterEach(() => { term?.kill(); term = undefined })
  after(async () => {
    provider?.child.kill('SIGCONT')
    await sb?.cleanup()
  })

  /** A prompt on a fresh data dir (so a short-lived node of its own), once it lists the share. */
  async function openPrompt (viewer: string): Promise<{ term: Terminal, listing: string }> {
    const t = new Terminal(['shell', '--data-dir', sb.path(viewer), '--coordinator', coord.addr], sb)
    term = t
    await t.expect(PROMPT_AT_END, 0, 20_000)
    // The node announces a moment after it prints its address: ask until the listing is whole.
    const listing = await waitFor(async () => {
      const out = await t.run('ls')
      return out.includes(SMALL) && out.includes(BIG) && out.includes('holiday photos/') ? out : undefined
    }, 'the shared files in the prompt\'s ls', 15_000, 300)
    return { term: t, listing }
  }

  it('lists, searches, completes names with Tab and downloads a file byte-identical', async () => {
    const { term: t, listing } = await openPrompt('viewer')
    assert.match(listing, /holiday photos\/\s+20 B\s+1 file/)
    assert.match(listing, new RegExp(`${SMALL.replace(/\./g, '\\.')}\\s+300 KiB`))

    const found = await t.run('search sample')
    assert.match(found, new RegExp(`${SMALL.replace(/\./g, '\\.')}\\s+300 KiB\\s+\\w+`))
    assert.ok(!found.includes('holiday'), found)

    // A folder whose name has a space comes back quoted and left open, and runs as typed.
    let from = t.mark()
    t.type('ls holi\t')
    await t.expect(/ls "holiday photos\/$/, from)
    assert.match(await t.run(''), /holiday photos\/beach sunset\.txt\s+20 B/)

    // A partial file name is completed (with a space after it), then downloaded.
    from = t.mark()
    t.type('get pty-sa\t')
    await t.expect(new RegExp(`get ${SMALL.replace(/\./g, '\\.')} $`), from)
    const got = await t.run('--out dl', 30_000)
    const path = /-> ([^\r\n]+)/.exec(got)?.[1]
    assert.ok(path != null, `no "-> path" in:\n${got}`)
    assert.ok(path.startsWith(sb.path('dl')), path)
    assert.equal(await sha256File(path), await sha256File(sb.path('share', SMALL)))

    t.type('exit\r')
    assert.equal(await t.exited(), 0)
  })

  it('Ctrl-C cancels a running get and stays at the prompt; the same get then resumes', async () => {
    const { term: t } = await openPrompt('viewer-cancel')
    const from = t.mark()
    let stopThrottle: (() => Promise<void>) | undefined = throttle(provider)
    try {
      t.type(`get ${BIG} --out dl\r`)
      // Some chunks arrived and were kept: the bar shows between 1 and 99 percent.
      await t.expect(/\] [1-9]\d?% /, from, 20_000)
      await stopThrottle()
      stopThrottle = undefined
      t.type('\x03')
      const cancelled = await t.expect(/get cancelled[^\n]*\n[\s\S]*fsnode> $/, from, 10_000)
      assert.match(cancelled, new RegExp(`get ${BIG.replace(/\./g, '\\.')} again to resume`))
    } finally {
      await stopThrottle?.()
      provider.child.kill('SIGCONT')
    }
    assert.equal(t.child.exitCode, null, 'Ctrl-C during a get must not leave the prompt')
    assert.ok(!existsSync(sb.path('dl', BIG)), 'a cancelled file must not appear as if complete')

    const again = await t.run(`get ${BIG} --out dl`, 30_000)
    assert.match(again, /chunks? resumed/)
    const path = /-> ([^\r\n]+)/.exec(again)?.[1]
    assert.ok(path != null, `no "-> path" in:\n${again}`)
    assert.equal(await sha256File(path), await sha256File(sb.path('share', BIG)))

    t.type('\x04') // Ctrl-D leaves too
    assert.equal(await t.exited(), 0)
  })
})

describe('e2e: fsnode with no command', function () {
  this.timeout(30_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('off a terminal prints the usage on stderr and exits 2', async () => {
    const r = await sb.run(['--data-dir', sb.path('d')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^Usage: fsnode /m)
    assert.match(r.stderr, /shell \[options\]\s+interactive prompt/)
    assert.equal(r.stdout, '')
    const bare = await sb.run([], { input: 'ls\n' })
    assert.equal(bare.code, 2)
    assert.match(bare.stderr, /^Usage: fsnode /m)
  })
})
