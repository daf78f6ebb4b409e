import { Command, CommanderError } from 'commander'
import { NODE_COMMANDS } from '../commands/index.js'
import { CommandCancelledError } from '../commands/context.js'
import { noNodeRunning } from '../session.js'
import { table } from '../format.js'
import { splitArgs } from './words.js'
import { terminalText } from '../../util/terminal-text.js'
import { MAX_ERROR_LINE } from '../../util/constants.js'
import type { NodeApi } from '../../node/api.js'
import type { Output } from '../output.js'

/**
 * The prompt's commands: the command line's own (commander parses the typed words with the
 * same definitions, and the same functions run them) plus help, exit and quit. No terminal
 * here, so the whole dispatch is testable with a fake node.
 */

export interface ShellContext {
  node: NodeApi
  out: Output
  /** Relative paths (share PATH, get --out DIR) are resolved from here. */
  cwd: string
  dataDir: string
  /** True when attached to a node running on the data dir; share, unshare and limit need one. */
  daemon: boolean
}

export type Outcome = 'continue' | 'exit'

/** Commander's codes for help and version output: nothing went wrong. */
const SHOWN = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version'])

/** Run one typed line. Never throws: a failure is one `error: ...` line and the prompt goes on. */
export async function runLine (line: string, ctx: ShellContext, signal: AbortSignal = new AbortController().signal): Promise<Outcome> {
  let outcome: Outcome = 'continue'
  try {
    const words = splitArgs(line)
    if (words.length === 0) return 'continue'
    await promptProgram(ctx, signal, () => { outcome = 'exit' }).parseAsync(words, { from: 'user' })
  } catch (err: any) {
    if (err instanceof CommanderError) {
      if (!SHOWN.has(err.code)) ctx.out.print(commanderMessage(err))
    } else if (signal.aborted) {
      ctx.out.print(err instanceof CommandCancelledError ? err.message : 'cancelled')
    } else {
      ctx.out.print(`error: ${terminalText(String(err?.message ?? err).split('\n')[0], MAX_ERROR_LINE)}`)
      if (process.env.DEBUG != null && err?.stack != null) ctx.out.print(err.stack)
    }
  }
  return outcome
}

/** Commander's one line (`error: unknown option '--bogus'`), with a hint where a prompt needs one. */
function commanderMessage (err: CommanderError): string {
  const message = err.message.trim().replace(/\s*\n\s*/g, ' ')
  if (err.code === 'commander.excessArguments') return `${message} (quote names with spaces)`
  if (err.code === 'commander.unknownCommand') return `${message}; type help for the list`
  return message
}

/** The prompt's commands for one line, bound to its node and signal. */
function promptProgram (ctx: ShellContext, signal: AbortSignal, exit: () => void): Command {
  const program = new Command('')
    .exitOverride()
    .helpCommand(false)
    // no program name before the command: `Usage: get [options] <target>`
    .configureHelp({ commandUsage: cmd => `${cmd.name()} ${cmd.usage()}` })
    // errors are printed by runLine (one line each); help goes to the prompt's output
    .configureOutput({ writeOut: s => ctx.out.print(s.replace(/\n$/, '')), writeErr: s => ctx.out.print(s.replace(/\n$/, '')), outputError: () => {} })
  for (const command of NODE_COMMANDS) {
    command.define(program.command(command.name).description(command.description))
      .action(async (...params: unknown[]) => {
        const parsed = params.at(-1) as Command
        command.check?.(parsed.processedArgs, parsed.opts())
        if (command.daemonOnly === true && !ctx.daemon) throw noNodeRunning(command.name, ctx.dataDir)
        await command.run({ node: ctx.node, out: ctx.out, signal, cwd: ctx.cwd }, parsed.processedArgs, parsed.opts())
      })
  }
  program.command('help').description('this list, or how to use one command')
    .argument('[command]')
    .action((name?: string) => { ctx.out.print(helpText(program, name)) })
  program.command('exit').description('leave the prompt (also quit, Ctrl-D)').action(exit)
  program.command('quit', { hidden: true }).description('leave the prompt').action(exit)
  program.helpOption(false) // `help`, and `COMMAND --help` (the commands above keep theirs)
  return program
}

function helpText (program: Command, name?: string): string {
  if (name != null) {
    const cmd = program.commands.find(c => c.name() === name)
    if (cmd == null) throw new UnknownCommandError(`no command ${JSON.stringify(name)}; type help for the list`)
    return cmd.helpInformation().replace(/\n$/, '')
  }
  const rows = program.commands.filter(c => c.name() !== 'quit').map(c => [`${c.name()} ${c.usage()}`.trim(), c.description()])
  return [
    table(['COMMAND', ''], rows).split('\n').slice(1).map(l => `  ${l}`).join('\n'),
    'Quote names with spaces: get "holiday photos/a b.txt". Tab completes commands, names and',
    'folders; Up and Down recall earlier lines; Ctrl-C cancels what is running; help COMMAND',
    'shows its options.'
  ].join('\n')
}

export class UnknownCommandError extends Error {
  static readonly code = 'UnknownCommandError'
  override name = 'UnknownCommandError'
}

/** What Tab needs to know of the prompt's commands. */
export interface PromptGrammar {
  names: readonly string[]
  /** Per command: options without a value (`--flat`) and options that take one (`--out`). */
  options: ReadonlyMap<string, { flags: string[], values: string[] }>
  /** What Tab offers for a command's first argument: files and folders, or folders only. */
  argument: ReadonlyMap<string, 'files' | 'folders'>
}

/** Read from the same definitions commander parses with. */
export const PROMPT_GRAMMAR: PromptGrammar = (() => {
  const options = new Map<string, { flags: string[], values: string[] }>()
  const argument = new Map<string, 'files' | 'folders'>()
  for (const command of NODE_COMMANDS) {
    const cmd = command.define(new Command(command.name))
    const long = (takesValue: boolean): string[] => cmd.options
      .filter(o => o.long != null && !o.hidden && (o.required || o.optional) === takesValue)
      .map(o => o.long as string)
    options.set(command.name, { flags: long(false), values: long(true) })
    if (command.completes != null) argument.set(command.name, command.completes)
  }
  return { names: [...NODE_COMMANDS.map(c => c.name), 'help', 'exit', 'quit'], options, argument }
})()
