import { Command, CommanderError, Option } from 'commander'
import { ConfigError, UsageError } from '../config/errors.js'
import { runStart } from './commands/start.js'
import { runCoordinator } from './commands/coordinator.js'
import { runId } from './commands/id.js'
import { runLs } from './commands/ls.js'
import { runSearch } from './commands/search.js'
import { runGet } from './commands/get.js'
import { runStatus } from './commands/status.js'
import { runShare, runUnshare } from './commands/share.js'
import { runShell } from './commands/shell.js'
import { runNetworkKey } from './commands/network-key.js'
import { exitQuietlyOnClosedPipe, flushAndExit } from './shutdown.js'
import { runLimit } from './commands/limit.js'
import { runUi } from './commands/ui.js'
import { terminalText } from '../util/terminal-text.js'
import { MAX_ERROR_LINE } from '../util/constants.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Options every command that talks to the network shares. */
function networkOptions (cmd: Command): Command {
  return cmd
    .option('--config <file>', 'config file (default: ./config.json, then the user config)')
    .option('--data-dir <dir>', 'data directory (key, caches, control socket)')
    .option('--coordinator <multiaddr>', 'coordinator address ending in /p2p/<peer id> (repeatable)', collect)
}

export function buildProgram (): Command {
  const program = new Command()
  program
    .name('fsnode')
    .description('Peer-to-peer file sharing: verified chunks, many streams, every provider at once')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: s => process.stderr.write(s) })

  program.command('coordinator')
    .description('run a coordinator (bootstrap node) that indexes who shares what')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'data directory (key and index database)')
    .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect)
    .option('--api-listen <host:port>', 'serve GET /metrics here (default: off; port 0 = any)')
    .option('--json', 'print the peer id and addresses as JSON')
    .action(runCoordinator)

  networkOptions(program.command('start'))
    .description('run a node that shares a folder')
    .option('--listen <multiaddr>', 'address to listen on (repeatable)', collect)
    .option('--share <dir>', 'folder to share')
    .option('--downloads <dir>', 'folder downloads go to')
    .option('--max-upload <rate>', 'upload limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--max-download <rate>', 'download limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--api-listen <host:port>', 'serve the HTTP API and /metrics here (default 127.0.0.1:7880; port 0 = any; false = off)')
    .option('--json', 'print the peer id and addresses as JSON')
    .action(runStart)

  program.command('id')
    .description("print the peer id of the data dir's key (created if missing)")
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(runId)

  program.command('network-key')
    .description('make a key for a private network (nodes without it cannot connect)')
    .option('--out <file>', 'write it to this file (mode 0600) instead of printing it')
    .option('--json', 'machine-readable output')
    .action(runNetworkKey)

  networkOptions(program.command('ls'))
    .description("list the network's files")
    .argument('[path]', 'only what is under this folder')
    .option('--flat', 'one line per file instead of folders')
    .option('--json', 'machine-readable output')
    .action(runLs)

  networkOptions(program.command('search'))
    .description('find files by words in their names')
    .argument('<text>', 'words to look for')
    .option('--json', 'machine-readable output')
    .action(runSearch)

  networkOptions(program.command('get'))
    .description('download a file (by name or file id) or a folder (a name ending in /)')
    .argument('<target>', 'NAME, FILE_ID or FOLDER/')
    .option('--out <dir>', 'folder to download into (default: the downloads folder)')
    .option('--max-download <rate>', 'download limit of this get when no node runs, e.g. 2MiB (0 = none)')
    .option('--json', 'print one result object when done')
    .action(runGet)

  networkOptions(program.command('status'))
    .description('show what the node on this data dir is doing')
    .option('--json', 'machine-readable output')
    .action(runStatus)

  networkOptions(program.command('share'))
    .description('share a file or folder outside the share folder (without copying it)')
    .argument('<path>', 'file or folder')
    .option('--json', 'machine-readable output')
    .action(runShare)

  networkOptions(program.command('limit'))
    .description("change the running node's bandwidth limits at once (no options: show them)")
    .option('--upload <rate>', 'upload limit, e.g. 4MiB or 500KiB per second (0 = none)')
    .option('--download <rate>', 'download limit (0 = none)')
    .option('--json', 'machine-readable output')
    .action(runLimit)

  networkOptions(program.command('unshare'))
    .description('stop sharing a path added with fsnode share')
    .argument('<path>', 'file or folder')
    .option('--json', 'machine-readable output')
    .action(runUnshare)

  networkOptions(program.command('ui'))
    .description('open the web UI of the running node in a browser (a one-time login link)')
    .option('--print', 'only print the login URL')
    .option('--json', 'machine-readable output')
    .action(runUi)

  networkOptions(program.command('shell', { isDefault: true }))
    .description('interactive prompt (the default on a terminal)')
    .addOption(new Option('--no-tty-check').hideHelp())
    .action(runShell)

  return program
}

/** One line on stderr and an exit code: 2 for usage and config errors, 1 for the rest. */
export function reportError (err: any): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
    return 2 // commander already printed its one line
  }
  if (err?.name === 'NoCommandError') {
    buildProgram().outputHelp({ error: true })
    return 2
  }
  const code = err instanceof ConfigError || err instanceof UsageError || err?.exitCode === 2 ? 2 : 1
  // the message may carry a provider's or coordinator's words: no escapes, one line, bounded
  const message = terminalText(String(err?.message ?? err).split('\n')[0], MAX_ERROR_LINE)
  process.stderr.write(`fsnode: ${message}\n`)
  if (process.env.DEBUG != null && err?.stack != null) process.stderr.write(`${err.stack}\n`)
  return code
}

async function main (): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv)
  } catch (err) {
    process.exitCode = reportError(err)
  }
}

exitQuietlyOnClosedPipe()
await main()
// Everything a command opened is closed by now; exit so no stray timer keeps the CLI alive,
// but only once all output has reached the pipe, file or terminal it goes to.
await flushAndExit()
