/**
 * Waiting in tests and benchmarks: every wait has a deadline, and a timeout says what was
 * awaited and the last error seen on the way.
 */

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

export class WaitTimeoutError extends Error {
  static readonly code = 'WaitTimeoutError'
  override name = 'WaitTimeoutError'
}

/** Poll `fn` until it returns something other than undefined; a throw counts as not yet. */
export async function waitFor<T> (fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await sleep(intervalMs)
  }
  throw new WaitTimeoutError(`timed out waiting for ${what}${lastError != null ? `: ${String(lastError)}` : ''}`)
}

/** Poll `check` until it is true (a throw is a failure, not a not-yet). */
export async function until (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new WaitTimeoutError(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}
