import { performance } from 'node:perf_hooks'
import { logger } from '@libp2p/logger'
import { FOCUS_WINDOW } from './constants.js'
import { ProviderFocus } from './focus.js'
import type { ChunkScheduler } from './scheduler.js'

const log = logger('fsnode:transfer:focus')

/** The share of the time since its last call that this process's event loop was busy (0-1). */
export type LoadMeter = () => number

/** A LoadMeter of this process's event loop (its utilisation, as perf_hooks measures it). */
export function eventLoopLoad (): LoadMeter {
  let last = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, last).utilization
    last = now
    return busy
  }
}

export interface FocusInit {
  /** The download's name, for the log. */
  name: string
  /** The provider to start from (the first to answer with the manifest). */
  first: string
  load?: LoadMeter
}

/**
 * From the start, fetch from `first` only; every FOCUS_WINDOW, tell `scheduler` which
 * providers to fetch from: as many as ProviderFocus says, the fastest by its measure; the
 * others stay in reserve (the scheduler tells the fetchers). Returns the function that stops it.
 */
export function focusProviders (scheduler: ChunkScheduler, { name, first, load = eventLoopLoad() }: FocusInit): () => void {
  const policy = new ProviderFocus(1)
  scheduler.reserve.focus([first])
  let last = Date.now()
  let bytes = 0
  const tick = (): void => {
    const stats = scheduler.stats()
    const active = stats.filter(s => s.state === 'active')
    const now = Date.now()
    const got = stats.reduce((n, s) => n + s.bytes, 0)
    const rate = now > last ? (got - bytes) / (now - last) * 1000 : 0
    last = now
    bytes = got
    // a failure brought the reserve back (the scheduler cleared its focus): so does the policy
    if (scheduler.reserve.focused == null && policy.count < active.length) policy.reset()
    const before = scheduler.reserve.focused?.length ?? active.length
    const k = policy.sample({ busy: load(), rate, providers: active.length, heldBack: scheduler.heldBack })
    if (k === before) return
    if (k >= active.length) {
      scheduler.reserve.focus(undefined)
    } else {
      const fastest = [...active].sort((a, b) => b.rate - a.rate).slice(0, k).map(s => s.peer)
      scheduler.reserve.focus(fastest)
    }
    log('%s: fetching from %d of %d providers (%d MB/s)', name, scheduler.reserve.focused?.length ?? active.length, active.length, Math.round(rate / 1e6))
  }
  const timer = setInterval(tick, FOCUS_WINDOW)
  timer.unref()
  return () => { clearInterval(timer) }
}
