import type { Command } from 'commander'
import type { CommandContext } from './context.js'

/**
 * A command that asks a node something. Defined once: commander parses its arguments both on
 * the command line (`fsnode ls --flat`) and at the prompt (`ls --flat`), and `run` is the one
 * implementation both call.
 */
export interface NodeCommand {
  name: string
  description: string
  /** Its arguments and options, the same on the command line and at the prompt. */
  define: (cmd: Command) => Command
  /** Options only the command line has (they set up the short-lived node it may start). */
  defineCli?: (cmd: Command) => Command
  /** It changes what the running node does, so it needs one (no short-lived node). */
  daemonOnly?: boolean
  /** Only at the prompt (it describes the prompt's own node). */
  promptOnly?: boolean
  /** What Tab offers for its first argument at the prompt. */
  completes?: 'files' | 'folders'
  /** Refuses bad arguments (a usage error) before any node is opened or asked. */
  check?: (args: unknown[], opts: Record<string, unknown>) => void
  /** `args` are commander's processed arguments, in order; `opts` its parsed options. */
  run: (ctx: CommandContext, args: unknown[], opts: Record<string, unknown>) => Promise<void>
}
