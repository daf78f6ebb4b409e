import { performance } from 'node:perf_hooks'
import { waitFor } from '../../kit/wait.js'

export { sleep } from '../../kit/wait.js'

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now (): number {
  return performance.now()
}

/** Poll `fn` until it returns something other than undefined/null/false, or time out. */
export async function waitUntil<T> (fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs: number, intervalMs = 50): Promise<T> {
  return await waitFor(async () => {
    const v = await fn()
    return v === null || v === false ? undefined : v
  }, what, timeoutMs, intervalMs)
}
