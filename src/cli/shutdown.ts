import { logger } from '@libp2p/logger'

const log = logger('fsnode:cli')

/** Resolves on the first SIGINT or SIGTERM, so a daemon can stop cleanly. */
export async function waitForShutdown (): Promise<string> {
  return await new Promise(resolve => {
    const done = (sig: string): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(sig)
    }
    const onInt = (): void => done('SIGINT')
    const onTerm = (): void => done('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
  })
}

/** How long the CLI may linger after its command is done before it exits regardless. Only a
 * stopped daemon lingers (libp2p's address manager arms a 1 s debounce timer as its listeners
 * close); by then V8's background compile jobs have long finished, or asked the idle main
 * thread for the collection they wait for, so process.exit() no longer meets one. */
const EXIT_LINGER_MS = 250

/**
 * End the CLI once everything written to stdout and stderr has reached the other end. Writes to
 * a pipe are asynchronous in Node: a plain process.exit() after a large write drops all but the
 * first 64 KiB (`fsnode ls --json | jq` got cut JSON). A reader that went away (EPIPE, `| head`)
 * ends the wait instead of crashing.
 *
 * Then the process ends by itself, as the event loop empties, and process.exit() only runs if
 * something still holds the loop after EXIT_LINGER_MS. Why not process.exit() at once: Node 24
 * can deadlock in it (nodejs/node#54918). It joins V8's worker threads before the heap is torn
 * down, and a background Maglev compile waiting for a garbage collection on the main thread then
 * never returns. Measured here: 2-10 of 40 `fsnode status` runs hung for ever in some builds.
 * A natural exit tears the heap down first, which releases such a job.
 */
export async function flushAndExit (): Promise<void> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  setTimeout(() => {
    log('still running %d ms after the command: %o', EXIT_LINGER_MS, process.getActiveResourcesInfo())
    exitNow()
  }, EXIT_LINGER_MS).unref()
}

/** process.exit with process.exitCode (Node 24 exits 0 on an explicit process.exit(undefined)). */
function exitNow (): never {
  process.exit(process.exitCode ?? 0)
}

/** Resolves when every byte written to `stream` so far is out (or the stream failed). */
async function flushed (stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return
  await new Promise<void>(resolve => {
    const onError = (): void => resolve()
    stream.once('error', onError)
    // writes complete in order: the callback of an empty write runs after all earlier ones
    stream.write('', () => { stream.off('error', onError); resolve() })
  })
}

/** A reader that closes the pipe early (`fsnode ls | head`) is not an error of ours. */
export function exitQuietlyOnClosedPipe (): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') exitNow()
      throw err
    })
  }
}
