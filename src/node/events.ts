import { EventEmitter } from 'node:events'
import type { BandwidthLimits, Download } from './api.js'

/** What a daemon tells its watchers (the HTTP API's /events): one payload type per event. */
export interface NodeEventMap {
  download: Download
  shares: { files: number, bytes: number, roots: string[] }
  peers: { peers: number }
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
