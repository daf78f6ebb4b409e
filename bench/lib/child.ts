/** The script side of proc.ts: bench scripts talk to the bench through JSON lines on stdout. */

export function emit (kind: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ kind, ...data }) + '\n')
}

/** Report an error the parent can show, and exit 1. */
export function fail (err: unknown): never {
  const message = err instanceof Error ? err.message : String(err)
  emit('error', { message })
  if (process.env.DEBUG != null && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
  process.exit(1)
}

/** Run a script's main, reporting a failure as an `error` message. */
export function main (fn: () => Promise<void>): void {
  fn().catch(fail)
}

/** Run `fn` once on SIGTERM/SIGINT, then exit. */
export function onTerminate (fn: () => Promise<void>): void {
  let stopping = false
  const handler = (): void => {
    if (stopping) return
    stopping = true
    fn().catch(() => {}).finally(() => process.exit(0))
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}

/** A required numeric option, with a clear error. */
export function numberArg (value: string | undefined, name: string): number {
  const n = Number(value)
  if (value == null || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${String(value)}`)
  return n
}

/** This process's own peak RSS in MB (getrusage maxrss is in KiB on Linux). */
export function ownPeakRssMb (): number {
  return process.resourceUsage().maxRSS * 1024 / 1_000_000
}
