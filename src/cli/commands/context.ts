import { homedir } from 'node:os'
import { resolve } from 'node:path'
import type { NodeApi } from '../../node/api.js'
import type { Output } from '../output.js'

/** What every command that asks a node something runs with, on the command line and at the prompt. */
export interface CommandContext {
  /** The node on the data dir (through its control socket) or a short-lived one. */
  node: NodeApi
  out: Output
  /** Ctrl-C: the command stops, and says so by rejecting with the signal's reason. */
  signal: AbortSignal
  /** Relative paths (share PATH, get --out DIR) are resolved from here. */
  cwd: string
}

/** Every command takes `--json`; the rest of its options are its own. */
export interface JsonOption {
  json?: boolean
}

export class CommandCancelledError extends Error {
  static readonly code = 'CommandCancelledError'
  override name = 'CommandCancelledError'
}

/**
 * Settle with `work`, or reject as soon as the signal aborts, so Ctrl-C returns at once even
 * when the node is slow to notice. The work's own late failure is ignored.
 */
export async function abortable<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
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

/** `~` and `~/x` as a shell would expand them, then relative to `cwd`. */
export function expandPath (path: string, cwd: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2))
  return resolve(cwd, path)
}

/** A word as it would be typed back at a shell or the prompt. */
export function quoteWord (word: string): string {
  return /^[\w./@:+,=-]+$/.test(word) ? word : `"${word.replace(/["\\$`]/g, '\\$&')}"`
}
