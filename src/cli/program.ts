import { Command, CommanderError, Option } from 'commander'
import { ConfigError, UsageError } from '../config/errors.js'
import { runShell } from './commands/shell.js'
import { NODE_COMMANDS } from './commands/index.js'
import { CommandCancelledError } from './commands/context.js'
import { openDaemon, openNode } from './session.js'
import { streamOutput } from './output.js'
import { terminalText } from '../util/terminal-text.js'
import { MAX_ERROR_LINE } from '../util/constants.js'
import { DEFAULT_API_LISTEN } from '../api/constants.js'
import type { CommonOptions } from './session.js'
import type { NodeCommand } from './commands/command.js'
import type { Output } from './output.js'
import type { NodeApi } from '../node/api.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Exit code of a command cancelled by Ctrl-C, as shells report SIGINT. */
const CANCELLED_EXIT_CODE = 130

/** Options every command that talks to the network shares. */
function networkOptions (cmd: Command): Command {
  return cmd
    .option('--config <file>', 'config file (default: ./config.json, then the user config)')
    .option('--data-dir <dir>', 'data directory (key, caches, control socket)')
    .option('--coordinator <multiaddr>', 'coordinator address ending in /p2p/<peer id> (repeatable)', collect)
}

export interface ProgramDeps {
  /** Where results go (default: stdout). */
  out?: Output
  /** The node a command talks to (default: the one running on the data dir, or a short-lived one). */
  open?: (opts: CommonOptions, command: NodeCommand) => Promise<NodeApi>
  /** Where commander's usage errors and help for errors go (default: stderr). */
  writeErr?: (text: string) => void
}

async function defaultOpen (opts: CommonOptions, command: NodeCommand): Promise<NodeApi> {
  return command.daemonOnly === true ? await openDaemon(opts, command.name) : await openNode(opts)
}

export function buildProgram (deps: ProgramDeps = {}): Command {
  const out = deps.out ?? streamOutput(process.stdout)
  const open = deps.open ?? defaultOpen
  const program = new Command()
  program
    .name('fsnode')
    .description('Peer-to-peer file sharing: verified chunks, many streams, every provider at once')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: deps.writeErr ?? (s => process.stderr.write(s)) })

  // commands that start libp2p (or make keys) load it when they run: a command answered by a
  // running node (ls, status, get) then starts in about a third of the CPU time
  program.command('coordinator')
    .description('run a coordinator (bootstrap node) that indexes who shares what')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'data directory (key and index database)')
    .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect)
    .option('--api-listen <host:port>', 'serve GET /metrics here (default: off; port 0 = any)')
    .option('--json', 'print the peer id and addresses as JSON')
    .action(async opts => { const { runCoordinator } = await import('./commands/coordinator.js'); await runCoordinator(opts, out) })

  networkOptions(program.command('start'))
    .description('run a node that shares a folder')
    .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect)
    .option('--share <dir>', 'folder to share')
    .option('--downloads <dir>', 'folder downloads go to')
    .option('--max-upload <rate>', 'upload limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--max-download <rate>', 'download limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--api-listen <host:port>', `serve the HTTP API, web UI and /metrics here (default ${DEFAULT_API_LISTEN}; port 0 = any; false = off)`)
    .option('--json', 'print the peer id and addresses as JSON')
    .action(async opts => { const { runStart } = await import('./commands/start.js'); await runStart(opts, out) })

  program.command('id')
    .description("print the peer id of the data dir's key (created if missing)")
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(async opts => { const { runId } = await import('./commands/id.js'); await runId(opts, out) })

  program.command('network-key')
    .description('make a key for a private network (nodes without it cannot connect)')
    .option('--out <file>', 'write it to this file (mode 0600) instead of printing it')
    .option('--json', 'machine-readable output')
    .action(async opts => { const { runNetworkKey } = await import('./commands/network-key.js'); await runNetworkKey(opts, out) })

  for (const command of NODE_COMMANDS) {
    if (command.promptOnly === true) continue
    const cmd = networkOptions(program.command(command.name)).description(command.description)
    command.define(cmd)
    command.defineCli?.(cmd)
    cmd.action(async (...params: unknown[]) => {
      const parsed = params.at(-1) as Command
      const opts = parsed.opts()
      command.check?.(parsed.processedArgs, opts)
      const node = await open(opts, command)
      try {
        await runCancellable(async signal => { await command.run({ node, out, signal, cwd: process.cwd() }, parsed.processedArgs, opts) })
      } finally {
        await node.close()
      }
    })
  }

  networkOptions(program.command('ui'))
    .description('open the web UI of the running node in a browser (a one-time login link)')
    .option('--print', 'only print the login URL')
    .option('--json', 'machine-readable output')
    .action(async opts => { const { runUi } = await import('./commands/ui.js'); await runUi(opts, out) })

  networkOptions(program.command('shell', { isDefault: true }))
    .description('interactive prompt (the default on a terminal)')
    .addOption(new Option('--no-tty-check').hideHelp())
    .action(runShell)

  return program
}

/** Ctrl-C cancels the command (a get keeps its partial state) and the node still closes cleanly. */
async function runCancellable (fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController()
  const onSigint = (): void => controller.abort(new CommandCancelledError('cancelled'))
  process.once('SIGINT', onSigint)
  try {
    await fn(controller.signal)
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** One line on stderr and an exit code: 2 for usage and config errors, 130 when cancelled, 1 for the rest. */
export function reportError (err: any): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
    return 2 // commander already printed its one line
  }
  if (err?.name === 'NoCommandError') {
    buildProgram().outputHelp({ error: true })
    return 2
  }
  const code = err instanceof ConfigError || err instanceof UsageError || err?.exitCode === 2
    ? 2
    : err instanceof CommandCancelledError ? CANCELLED_EXIT_CODE : 1
  // the message may carry a provider's or coordinator's words: no escapes, one line, bounded
  const message = terminalText(String(err?.message ?? err).split('\n')[0], MAX_ERROR_LINE)
  process.stderr.write(`fsnode: ${message}\n`)
  if (process.env.DEBUG != null && err?.stack != null) process.stderr.write(`${err.stack}\n`)
  return code
}
