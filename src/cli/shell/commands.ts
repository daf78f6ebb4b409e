import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { flatTable, folderView } from '../commands/ls.js'
import { NoNodeRunningError } from '../session.js'
import { table } from '../format.js'
import { formatPeers, formatStatus, getSummary, plural } from '../render.js'
import { COMMAND_NAMES, COMMAND_OPTIONS, ShellUsageError, isCommandName, parseOptions, splitArgs } from './args.js'
import { terminalText } from '../../util/terminal-text.js'
import { MAX_ERROR_LINE } from '../../util/constants.js'
import type { CommandName } from './args.js'
import type { NodeApi, ProgressEvent } from '../../node/api.js'

/**
 * What the prompt's commands do, given a node and somewhere to write: no terminal here, so the
 * whole dispatch is testable with a fake node.
 */

export interface ProgressSink {
  update (e: ProgressEvent): void
  stop (): void
}

export interface ShellOutput {
  /** Text for the user; a newline is added. */
  print (text: string): void
  /** The download progress display (the same one `fsnode get` shows). */
  progress (label: string): ProgressSink
}

export interface ShellContext {
  node: NodeApi
  out: ShellOutput
  /** Relative paths (share PATH, get --out DIR) are resolved from here. */
  cwd: string
  dataDir: string
  /** True when attached to a node running on the data dir; share and unshare need one. */
  daemon: boolean
}

export type Outcome = 'continue' | 'exit'

interface ShellCommand {
  usage: string
  summary: string
  run (args: string[], ctx: ShellContext, signal?: AbortSignal): Promise<Outcome | undefined>
}

const PROGRESS_LABEL_MAX = 30

/** Run one typed line. Never throws: a failure is one `error: ...` line and the prompt goes on. */
export async function runLine (line: string, ctx: ShellContext, signal?: AbortSignal): Promise<Outcome> {
  let words: string[] = []
  try {
    words = splitArgs(line)
    const [name, ...args] = words
    if (name == null) return 'continue'
    if (!isCommandName(name)) throw new ShellUsageError(`unknown command ${JSON.stringify(name)}; type help for the list`)
    return await untilAborted(COMMANDS[name].run(args, ctx, signal), signal) ?? 'continue'
  } catch (err: any) {
    if (signal?.aborted === true) ctx.out.print(cancelledMessage(words))
    else ctx.out.print(`error: ${terminalText(String(err?.message ?? err).split('\n')[0], MAX_ERROR_LINE)}`)
    if (process.env.DEBUG != null && err?.stack != null && signal?.aborted !== true) ctx.out.print(err.stack)
    return 'continue'
  }
}

function cancelledMessage ([name, ...args]: string[]): string {
  if (name !== 'get') return 'cancelled'
  const target = parseOptions('get', args, COMMAND_OPTIONS.get).positional[0] ?? ''
  return `get cancelled; what was downloaded is kept: get ${quoteWord(target)} again to resume`
}

/**
 * Settle with the command, or reject as soon as the signal aborts, so Ctrl-C returns to the
 * prompt even when the node is slow to notice. The command's own late failure is ignored.
 */
async function untilAborted<T> (work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await work
  work.catch(() => {})
  signal.throwIfAborted()
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

const COMMANDS: Record<CommandName, ShellCommand> = {
  ls: {
    usage: 'ls [PATH] [--flat]',
    summary: "the network's files by folder (--flat: one line per file)",
    async run (args, { node, out }) {
      const { positional, flags } = parseOptions('ls', args, COMMAND_OPTIONS.ls)
      const path = atMostOne('ls', positional)
      const files = await node.ls(path != null ? { path } : {})
      if (files.length === 0) out.print(path != null ? `nothing under ${path}` : 'no files on the network')
      else out.print(flags.has('--flat') ? flatTable(files) : folderView(files, path))
      return undefined
    }
  },
  search: {
    usage: 'search TEXT',
    summary: 'files whose names contain these words',
    async run (args, { node, out }) {
      const text = args.join(' ').trim()
      if (text === '') throw new ShellUsageError('usage: search TEXT')
      const files = await node.search(text)
      out.print(files.length === 0 ? `no file matches ${JSON.stringify(text)}` : flatTable(files))
      return undefined
    }
  },
  get: {
    usage: 'get NAME|FILE_ID|FOLDER/ [--out DIR]',
    summary: 'download a file, or every file under a folder (Ctrl-C cancels; get again resumes)',
    async run (args, { node, out, cwd }, signal) {
      const { positional, values } = parseOptions('get', args, COMMAND_OPTIONS.get)
      const target = exactlyOne('get NAME|FILE_ID|FOLDER/ [--out DIR]', positional)
      const outDir = values.get('--out')
      const progress = out.progress(target.length > PROGRESS_LABEL_MAX ? `…${target.slice(1 - PROGRESS_LABEL_MAX)}` : target)
      // Once cancelled, the bar goes away at once and late progress events are dropped.
      const stop = (): void => progress.stop()
      signal?.addEventListener('abort', stop, { once: true })
      try {
        const result = await untilAborted(node.get(target, {
          ...(outDir != null ? { out: expandPath(outDir, cwd) } : {}),
          ...(signal != null ? { signal } : {}),
          onProgress: e => { if (signal?.aborted !== true) progress.update(e) }
        }), signal)
        progress.stop()
        out.print(getSummary(result))
      } finally {
        progress.stop()
        signal?.removeEventListener('abort', stop)
      }
      return undefined
    }
  },
  share: {
    usage: 'share PATH',
    summary: 'share a file or folder outside the share folder, without copying it',
    async run (args, ctx) {
      const r = await ctx.node.share(daemonPath('share', args, ctx))
      ctx.out.print(`sharing ${r.path} (${plural(r.files, 'file')})`)
      return undefined
    }
  },
  unshare: {
    usage: 'unshare PATH',
    summary: 'stop sharing a path added with share',
    async run (args, ctx) {
      const r = await ctx.node.unshare(daemonPath('unshare', args, ctx))
      ctx.out.print(`no longer sharing ${r.path} (${plural(r.files, 'file')} withdrawn)`)
      return undefined
    }
  },
  peers: {
    usage: 'peers',
    summary: 'connected peers and coordinators',
    async run (_args, { node, out }) {
      out.print(formatPeers(await node.status()))
      return undefined
    }
  },
  status: {
    usage: 'status',
    summary: 'what the node is doing: addresses, shares, downloads',
    async run (_args, { node, out }) {
      out.print(formatStatus(await node.status()))
      return undefined
    }
  },
  help: {
    usage: 'help [COMMAND]',
    summary: 'this list',
    async run (args, { out }) {
      out.print(helpText(args[0]))
      return undefined
    }
  },
  exit: { usage: 'exit', summary: 'leave the prompt (also quit, Ctrl-D)', run: async () => 'exit' },
  quit: { usage: 'quit', summary: 'leave the prompt', run: async () => 'exit' }
}

export function helpText (command?: string): string {
  if (command != null) {
    if (!isCommandName(command)) throw new ShellUsageError(`no command ${JSON.stringify(command)}; type help for the list`)
    return `${COMMANDS[command].usage}\n  ${COMMANDS[command].summary}`
  }
  const rows = COMMAND_NAMES.filter(n => n !== 'quit').map(n => [COMMANDS[n].usage, COMMANDS[n].summary])
  return [
    table(['COMMAND', ''], rows).split('\n').slice(1).map(l => `  ${l}`).join('\n'),
    'Quote names with spaces: get "holiday photos/a b.txt". Tab completes commands, names and',
    'folders; Up and Down recall earlier lines; Ctrl-C cancels what is running.'
  ].join('\n')
}

/** share and unshare change what the running node serves, so they need one (as on the command line). */
function daemonPath (command: 'share' | 'unshare', args: string[], ctx: ShellContext): string {
  const path = expandPath(exactlyOne(`${command} PATH`, parseOptions(command, args).positional), ctx.cwd)
  if (!ctx.daemon) {
    throw new NoNodeRunningError(`${command} needs a node running on ${ctx.dataDir}; start one with: fsnode start --data-dir ${ctx.dataDir}`)
  }
  return path
}

/** `~` and `~/x` as a shell would expand them, then relative to the prompt's folder. */
export function expandPath (path: string, cwd: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2))
  return resolve(cwd, path)
}

function exactlyOne (usage: string, positional: string[]): string {
  if (positional.length > 1) throw new ShellUsageError(`usage: ${usage} (quote names with spaces)`)
  if (positional.length === 0 || positional[0] === '') throw new ShellUsageError(`usage: ${usage}`)
  return positional[0]
}

function atMostOne (command: CommandName, positional: string[]): string | undefined {
  if (positional.length > 1) throw new ShellUsageError(`usage: ${COMMANDS[command].usage} (quote names with spaces)`)
  return positional[0]
}


/** A word as it would be typed back at the prompt. */
function quoteWord (word: string): string {
  return /^[\w./@:+,=-]+$/.test(word) ? word : `"${word.replace(/["\\$`]/g, '\\$&')}"`
}
