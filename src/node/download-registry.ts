import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { DOWNLOAD_EVENT_INTERVAL_MS, MAX_FINISHED_DOWNLOADS, MAX_RUNNING_DOWNLOADS } from './constants.js'
import type { Download, GetOptions, GetResult, ProgressEvent } from './api.js'
import type { NodeEvents } from './events.js'

const log = logger('fsnode:node:registry')

export class UnknownDownloadError extends Error {
  static readonly code = 'UnknownDownloadError'
  override name = 'UnknownDownloadError'
}

export class DownloadNotRunningError extends Error {
  static readonly code = 'DownloadNotRunningError'
  override name = 'DownloadNotRunningError'
}

export class TooManyDownloadsError extends Error {
  static readonly code = 'TooManyDownloadsError'
  override name = 'TooManyDownloadsError'
}

export class DownloadCancelledError extends Error {
  static readonly code = 'DownloadCancelledError'
  override name = 'DownloadCancelledError'
}

export interface DownloadRegistryInit {
  /** Runs one get (the node's); the registry gives it a signal and follows its progress. */
  run: (target: string, options: GetOptions) => Promise<GetResult>
  /** The folder a get without `out` saves into (a running get is matched by target and folder). */
  defaultOut: string
  events?: NodeEvents
  maxRunning?: number
  maxFinished?: number
  eventIntervalMs?: number
}

interface Entry {
  d: Download
  out: string
  controller: AbortController
  lastEmit: number
}

/**
 * The daemon's background gets (POST /downloads): each runs with its own AbortController, its
 * progress, rate, ETA and peers kept live. Bounded: at most maxRunning at once (more are
 * refused), and the maxFinished most recent finished ones are remembered.
 */
export class DownloadRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly maxRunning: number
  private readonly maxFinished: number
  private readonly interval: number

  constructor (private readonly init: DownloadRegistryInit) {
    this.maxRunning = init.maxRunning ?? MAX_RUNNING_DOWNLOADS
    this.maxFinished = init.maxFinished ?? MAX_FINISHED_DOWNLOADS
    this.interval = init.eventIntervalMs ?? DOWNLOAD_EVENT_INTERVAL_MS
  }

  /** Start a get in the background; the same target into the same folder while one runs gives
   * that one (two runs would write the same partial file). */
  start (target: string, out?: string): Download {
    const dir = resolve(out ?? this.init.defaultOut)
    const running = [...this.entries.values()].filter(e => e.d.state === 'running')
    const same = running.find(e => e.d.target === target && e.out === dir)
    if (same != null) return copy(same.d)
    if (running.length >= this.maxRunning) throw new TooManyDownloadsError(`${running.length} downloads are running (at most ${this.maxRunning}); wait for one or cancel one`)
    const d: Download = {
      id: randomBytes(8).toString('hex'),
      target,
      name: target,
      state: 'running',
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
      peers: 0,
      startedAt: Date.now()
    }
    const entry: Entry = { d, out: dir, controller: new AbortController(), lastEmit: 0 }
    this.entries.set(d.id, entry)
    this.emit(entry, true)
    this.init.run(target, { out: out == null ? undefined : dir, signal: entry.controller.signal, onProgress: e => this.progress(entry, e), onResolved: f => this.resolved(entry, f) })
      .then(result => {
        if (d.state !== 'running') return
        d.state = 'done'
        d.result = result
        d.name = result.name
        d.fileId = result.fileId
        d.bytesDone = d.bytesTotal = result.files != null ? result.files.reduce((n, f) => n + f.size, 0) : result.size
        if (result.files != null) d.filesDone = d.filesTotal = result.files.length
        this.finish(entry)
      }, (err: any) => {
        if (d.state !== 'running') return
        d.state = 'failed'
        d.error = { code: typeof err?.name === 'string' ? err.name : 'Error', message: String(err?.message ?? err).split('\n')[0] }
        log('download %s of %s failed: %s', d.id, target, d.error.message)
        this.finish(entry)
      })
    return copy(d)
  }

  /** Running first (oldest first), then finished ones, most recent first. */
  list (): Download[] {
    const all = [...this.entries.values()].map(e => e.d)
    const running = all.filter(d => d.state === 'running')
    const finished = all.filter(d => d.state !== 'running').reverse().sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
    return [...running, ...finished].map(copy)
  }

  get (id: string): Download {
    const e = this.entries.get(id)
    if (e == null) throw new UnknownDownloadError(`no download with id ${JSON.stringify(id.slice(0, 40))}`)
    return copy(e.d)
  }

  running (): number {
    let n = 0
    for (const e of this.entries.values()) if (e.d.state === 'running') n++
    return n
  }

  /** Stop a running download; its partial file stays, so starting the same target resumes it. */
  cancel (id: string): Download {
    const e = this.entries.get(id)
    if (e == null) throw new UnknownDownloadError(`no download with id ${JSON.stringify(id.slice(0, 40))}`)
    if (e.d.state !== 'running') throw new DownloadNotRunningError(`download ${id} is already ${e.d.state}`)
    e.d.state = 'cancelled'
    e.controller.abort(new DownloadCancelledError('download cancelled; start the same get again to resume'))
    this.finish(e)
    return copy(e.d)
  }

  /** Cancel every running download (the node is stopping). */
  stop (): void {
    for (const e of this.entries.values()) if (e.d.state === 'running') this.cancel(e.d.id)
  }

  /** A get by file id shows the file's name once it is known, not the id. */
  private resolved (e: Entry, file: { name: string, fileId: string }): void {
    if (e.d.state !== 'running') return
    e.d.name = file.name
    e.d.fileId = file.fileId
    this.emit(e, true)
  }

  private progress (e: Entry, p: ProgressEvent): void {
    const d = e.d
    if (d.state !== 'running') return
    d.bytesDone = p.bytesDone
    d.bytesTotal = p.bytesTotal
    d.rate = Math.round(p.rate)
    d.peers = p.peers
    if (p.filesTotal != null) { d.filesDone = p.filesDone; d.filesTotal = p.filesTotal }
    d.etaSeconds = p.rate > 0 && p.bytesTotal >= p.bytesDone ? Math.ceil((p.bytesTotal - p.bytesDone) / p.rate) : undefined
    this.emit(e)
  }

  private finish (e: Entry): void {
    e.d.endedAt = Date.now()
    e.d.rate = 0
    e.d.etaSeconds = undefined
    this.emit(e, true)
    const finished = [...this.entries.values()].filter(x => x.d.state !== 'running')
    for (let i = 0; i < finished.length - this.maxFinished; i++) this.entries.delete(finished[i].d.id) // oldest first: insertion order
  }

  private emit (e: Entry, force = false): void {
    const now = Date.now()
    if (!force && now - e.lastEmit < this.interval) return
    e.lastEmit = now
    this.init.events?.emit('download', copy(e.d))
  }
}

function copy (d: Download): Download {
  const c = { ...d }
  for (const k of Object.keys(c) as Array<keyof Download>) if (c[k] === undefined) delete c[k]
  return c
}
