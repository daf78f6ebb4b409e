import { performance } from 'node:perf_hooks'

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now (): number {
  return performance.now()
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

export class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** Poll `fn` until it returns something other than undefined/null/false, or time out. */
export async function waitUntil<T> (fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v != null && v !== false) return v
    } catch (err) {
      last = err
    }
    await sleep(intervalMs)
  }
  const why = last instanceof Error ? `: ${last.message}` : ''
  throw new TimeoutError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`)
}
