import { UsageError } from '../../config/errors.js'
import type { CommonOptions } from '../session.js'

export async function runShell (opts: CommonOptions & { ttyCheck?: boolean }): Promise<void> {
  if (process.stdin.isTTY !== true && opts.ttyCheck !== false) {
    throw new NoCommandError('no command given and not on a terminal')
  }
  const { startShell } = await import('../shell/repl.js')
  await startShell(opts)
}

/** `fsnode` with no command off a terminal: the CLI prints the usage and exits 2. */
export class NoCommandError extends UsageError {
  override name = 'NoCommandError'
}
