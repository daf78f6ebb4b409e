/**
 * The interactive prompt (`fsnode`, `fsnode shell`). Line editing, Tab completion and history
 * come from Node's own node:readline: it has all three (async completers included), and it is
 * plain JavaScript. Libraries that drive the terminal through native addons (node-pty and the
 * like) are built for another Node here and do not load under Node 24; readline cannot break
 * that way.
 */
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { nodeConfigFrom, openNode } from '../session.js'
import { RemoteNode } from '../../node/remote.js'
import { streamOutput } from '../output.js'
import { CommandCancelledError } from '../commands/context.js'
import { runLine } from './commands.js'
import { complete, wantsNames } from './complete.js'
import { HISTORY_FILE, HISTORY_MAX_LINES, appendHistory, loadHistory } from './history.js'
import type { Interface, Key } from 'node:readline'
import type { CommonOptions } from '../session.js'
import type { NodeApi } from '../../node/api.js'
import type { ShellContext } from './commands.js'
import type { Completion } from './complete.js'

export const PROMPT = 'fsnode> '
/** The network's names are fetched for Tab at most this often... */
const NAMES_TTL_MS = 5_000
/** ...and Tab waits this long for them before offering what it has. */
const NAMES_FETCH_TIMEOUT_MS = 3_000

/** Open the node once (the running one on the data dir, or a short-lived one), prompt, close it. */
export async function startShell (opts: CommonOptions): Promise<void> {
  const { dataDir } = nodeConfigFrom(opts)
  const node = await openNode(opts)
  try {
    await new Shell({ node, dataDir, daemon: node instanceof RemoteNode }).run()
  } finally {
    await node.close()
  }
}

export interface ShellOptions {
  node: NodeApi
  dataDir: string
  /** Attached to a node running on the data dir (else a short-lived node of our own). */
  daemon: boolean
  input?: NodeJS.ReadStream
  output?: NodeJS.WriteStream
}

export class Shell {
  private readonly node: NodeApi
  private readonly input: NodeJS.ReadStream
  private readonly output: NodeJS.WriteStream
  private readonly terminal: boolean
  private readonly historyFile: string
  private readonly ctx: ShellContext
  /** The command being run, so Ctrl-C can cancel it. */
  private running?: AbortController
  /** Ctrl-C was just pressed on an empty line: a second one leaves. */
  private sawInterrupt = false
  /** Leaving on purpose (exit, Ctrl-C twice): no extra newline. */
  private leaving = false
  private closed = false
  private names?: { at: number, names: string[] }
  private fetchingNames?: Promise<string[]>

  constructor (options: ShellOptions) {
    this.node = options.node
    this.input = options.input ?? process.stdin
    this.output = options.output ?? process.stdout
    this.terminal = this.input.isTTY === true && this.output.isTTY === true
    this.historyFile = join(options.dataDir, HISTORY_FILE)
    this.ctx = {
      node: options.node,
      cwd: process.cwd(),
      dataDir: options.dataDir,
      daemon: options.daemon,
      out: streamOutput(this.output)
    }
  }

  async run (): Promise<void> {
    // An unreadable history file costs the history, not the prompt.
    const history = this.terminal ? await loadHistory(this.historyFile).catch(() => []) : []
    const rl = createInterface({
      input: this.input,
      output: this.output,
      terminal: this.terminal,
      history,
      historySize: HISTORY_MAX_LINES,
      removeHistoryDuplicates: true,
      completer: (line: string, callback: (err: null, result: Completion) => void) => {
        this.completions(line).then(r => callback(null, r), () => callback(null, [[], line]))
      }
    })
    const onInterrupt = (): void => this.interrupt(rl)
    const onSignal = (): void => { if (this.running != null) this.cancel(); else this.leave(rl) }
    const onKey = (_s: string | undefined, key?: Key): void => {
      if (key?.ctrl !== true || key.name !== 'c') this.sawInterrupt = false
    }
    rl.on('SIGINT', onInterrupt)
    rl.on('close', () => {
      this.closed = true
      // Ctrl-D at the prompt: end the prompt's line (during a command the cursor is at a fresh one).
      if (this.terminal && !this.leaving && this.running == null) this.output.write('\n')
    })
    // Off a terminal (or on `kill -INT`) Ctrl-C is a signal rather than a key: same meaning.
    process.on('SIGINT', onSignal)
    this.input.on('keypress', onKey)
    try {
      if (this.terminal) {
        this.output.write(this.banner() + '\n')
        rl.setPrompt(PROMPT)
        rl.prompt()
      }
      for await (const line of rl) {
        this.sawInterrupt = false
        if (this.terminal) await appendHistory(this.historyFile, line).catch(() => {})
        if (await this.execute(line) === 'exit') { this.leaving = true; break }
        // Keep what was typed ahead during the command, with the cursor after it (unless
        // Ctrl-D closed the line editor meanwhile: then the loop ends after queued lines).
        if (this.terminal && !this.closed) rl.prompt(true)
      }
    } finally {
      this.leaving = true
      process.off('SIGINT', onSignal)
      this.input.off('keypress', onKey)
      rl.close()
    }
  }

  private async execute (line: string): Promise<'continue' | 'exit'> {
    const controller = new AbortController()
    this.running = controller
    try {
      return await runLine(line, this.ctx, controller.signal)
    } finally {
      this.running = undefined
    }
  }

  private banner (): string {
    const attached = this.ctx.daemon
      ? `attached to the node running on ${this.ctx.dataDir}`
      : `no node runs on ${this.ctx.dataDir}: this prompt runs its own until you leave`
    return `fsnode: ${attached}\ntype help for the commands; Tab completes names; Ctrl-D leaves`
  }

  private cancel (): void {
    this.running?.abort(new CommandCancelledError('cancelled'))
  }

  private leave (rl: Interface): void {
    this.leaving = true
    rl.close()
  }

  /**
   * Ctrl-C, as in other shells: it cancels the running command (a get keeps its partial state, so
   * running it again resumes) and never leaves then; at the prompt it drops the typed line; on
   * an empty line it says how to leave, and a second Ctrl-C in a row leaves.
   */
  private interrupt (rl: Interface): void {
    if (this.running != null) { this.cancel(); return }
    if (rl.line !== '') {
      this.sawInterrupt = false
      rl.write(null, { ctrl: true, name: 'e' }) // to the end of the line, so it stays visible,
      this.output.write('^C\n')
      rl.write(null, { ctrl: true, name: 'u' }) // then empty it: a fresh prompt on the next line
      return
    }
    this.output.write('^C\n')
    if (this.sawInterrupt) { this.leave(rl); return }
    this.sawInterrupt = true
    this.output.write('(Ctrl-C again, Ctrl-D or exit leaves the prompt)\n')
    rl.prompt()
  }

  private async completions (line: string): Promise<Completion> {
    // While a command runs, Tab asks nothing of the node.
    if (this.running != null) return [[], line]
    return complete(line, wantsNames(line) ? await this.networkNames() : [])
  }

  /** The names on the network, cached for a few seconds so each Tab is instant. */
  private async networkNames (): Promise<string[]> {
    if (this.names != null && Date.now() - this.names.at < NAMES_TTL_MS) return this.names.names
    this.fetchingNames ??= this.node.ls().then(files => {
      const names = files.map(f => f.name)
      this.names = { at: Date.now(), names }
      return names
    }).finally(() => { this.fetchingNames = undefined })
    try {
      return await withTimeout(this.fetchingNames, NAMES_FETCH_TIMEOUT_MS)
    } catch {
      return this.names?.names ?? []
    }
  }
}

export class CompletionTimeoutError extends Error {
  static readonly code = 'CompletionTimeoutError'
  override name = 'CompletionTimeoutError'
}

async function withTimeout<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CompletionTimeoutError(`no answer in ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
