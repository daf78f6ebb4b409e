import { EventEmitter } from 'node:events'
import { NODE_EVENT_DEBOUNCE_MS } from './constants.js'
import type { BandwidthLimits, Download } from './api.js'

/** What a daemon tells its watchers (the HTTP API's /events): one payload type per event. */
export interface NodeEventMap {
  download: Download
  shares: { files: number, bytes: number, roots: string[] }
  /** How many peers now, and how many joined and left since the last event. */
  peers: { peers: number, joined: number, left: number }
  limits: BandwidthLimits
}

export type NodeEventName = keyof NodeEventMap

/** A typed emitter of NodeEventMap. Listeners are the API's event streams, each bounded. */
export class NodeEvents {
  private readonly emitter = new EventEmitter()

  constructor () {
    this.emitter.setMaxListeners(0) // one per event stream; the API bounds how many there are
  }

  emit<K extends NodeEventName> (name: K, data: NodeEventMap[K]): void {
    this.emitter.emit(name, data)
  }

  /** Whether anyone listens: an event costly to build (the share's roots) is not built for no one. */
  listened (name: NodeEventName): boolean {
    return this.emitter.listenerCount(name) > 0
  }

  on<K extends NodeEventName> (name: K, fn: (data: NodeEventMap[K]) => void): () => void {
    this.emitter.on(name, fn)
    return () => { this.emitter.off(name, fn) }
  }
}

/** Calls `fn` once, `ms` after the first of a burst of calls. */
export function debounced (ms: number, fn: () => void): { (): void, cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  const call = (): void => {
    timer ??= setTimeout(() => { timer = undefined; fn() }, ms).unref()
  }
  call.cancel = () => { clearTimeout(timer); timer = undefined }
  return call
}

/** What watchNodeEvents listens to: the host's peer events, the share's changes. */
interface PeerSource extends EventTarget {
  getPeers: () => Array<{ toString: () => string }>
}
interface ShareSource extends EventTarget {
  stats: () => { files: number, bytes: number }
  roots: () => Array<{ path: string }>
}

/** Share and peer changes as `shares` and `peers` events, debounced (a scan's burst of changes
 * is one event); returns the function that stops it. */
export function watchNodeEvents (events: NodeEvents, host: PeerSource, share?: ShareSource): () => void {
  const stops: Array<() => void> = []
  if (share != null) {
    // roots() lists every seed: built only for an event stream that is open
    const shares = debounced(NODE_EVENT_DEBOUNCE_MS, () => {
      if (!events.listened('shares')) return
      const st = share.stats()
      events.emit('shares', { files: st.files, bytes: st.bytes, roots: share.roots().map(r => r.path) })
    })
    const onChange = (): void => shares()
    share.addEventListener('change', onChange)
    stops.push(() => { shares.cancel(); share.removeEventListener('change', onChange) })
  }
  // the set, not the count: a peer leaving as another joins within one debounce is still news
  let last: Set<string> | undefined
  const peers = debounced(NODE_EVENT_DEBOUNCE_MS, () => {
    const now = new Set(host.getPeers().map(p => p.toString()))
    let joined = 0
    let left = 0
    for (const p of now) if (last?.has(p) !== true) joined++
    for (const p of last ?? []) if (!now.has(p)) left++
    if (last == null || joined > 0 || left > 0) events.emit('peers', { peers: now.size, joined, left })
    last = now
  })
  const onPeer = (): void => peers()
  host.addEventListener('peer:connect', onPeer)
  host.addEventListener('peer:disconnect', onPeer)
  stops.push(() => {
    peers.cancel()
    host.removeEventListener('peer:connect', onPeer)
    host.removeEventListener('peer:disconnect', onPeer)
  })
  return () => { for (const stop of stops) stop() }
}
