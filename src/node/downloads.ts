import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { download } from '../transfer/downloader.js'
import { copyLocal } from '../transfer/local-copy.js'
import { LocalSourceChangedError } from '../transfer/errors.js'
import { ByteBudget } from '../transfer/budget.js'
import { MAX_NODE_IN_FLIGHT_BYTES } from '../transfer/constants.js'
import { looksLikeFileId, parseFileId } from '../wire/file-id.js'
import { AmbiguousNameError, NoCoordinatorError, NoProvidersError, UnknownFileError } from './errors.js'
import { fetchFolder } from './folder.js'
import type { Host } from '../host/create-host.js'
import type { NodeConfig } from '../config/load.js'
import type { FileSource, ServedFile } from '../transfer/source.js'
import type { IndexLookupResult, IndexProvider } from '../index/decode.js'
import type { Finder } from './finder.js'
import type { ProviderRecords } from '../host/dht.js'
import type { Fetched } from './seeder.js'
import type { Bandwidth } from '../bandwidth/bandwidth.js'
import { metered } from '../metrics/metrics.js'
import { isCircuit } from '../relay/reachability.js'
import { BufferCap } from '../util/buffer-cap.js'
import type { NodeMetrics } from '../metrics/metrics.js'
import type { GetFileResult, GetOptions, GetResult, ProgressEvent } from './api.js'
import type { Connection } from '@libp2p/interface'
import type { RateLimiter } from '../bandwidth/token-bucket.js'

const log = logger('fsnode:node:downloads')

export interface DownloadsInit {
  host: Host
  finder: Finder
  /** The DHT's provider records: how a file id is found without (or faster than) a coordinator. */
  records?: ProviderRecords
  config: NodeConfig
  /** What this node shares itself: a file found there is copied, not fetched. */
  share?: FileSource
  /** Called with the files fetched from the network, to serve them (the Seeder's; config.seed):
   * one for a get, many at once for a folder get's small files. */
  fetched?: (files: Fetched[]) => Promise<void>
  /** The node's upload and download limits. */
  bandwidth?: Bandwidth
  /** Where transfers are counted (Prometheus). */
  metrics?: NodeMetrics
}

/** A file to fetch: its id, the name to save it under, and who has it. */
export interface Target {
  fileId: string
  name: string
  size: number
  providers: Array<{ peerId: string, addrs: IndexProvider['addrs'] }>
  /** Found by file id on the DHT alone: saved under the name its provider gives. */
  unnamed?: boolean
}

/**
 * `get`: resolves a name, file id or folder to providers, runs the downloader, and reports
 * what it fetched (`fetched`: the seeder shares it). Serving is the chunk server's, a libp2p
 * service of the host.
 */
export class Downloads {
  /** Chunks in flight over every download of this node (a folder get runs several at once). */
  readonly budget = new ByteBudget(MAX_NODE_IN_FLIGHT_BYTES)
  private readonly running = new Map<string, { fileId: string, name: string, bytesDone: number, bytesTotal: number }>()
  /** get() calls under way (a folder get is one). */
  private getting = 0
  /** Dead network buffers collected before they pile up (fed every byte a get receives). */
  private readonly bufferCap = new BufferCap()

  constructor (readonly init: DownloadsInit) {}

  /** The download limit of a provider's connection, metered (a get's and a folder batch's). */
  readonly downloadLimiter = (conn: Connection): RateLimiter =>
    metered(this.init.bandwidth?.downloadFor(conn), bytes => {
      this.bufferCap.received(bytes)
      this.init.metrics?.received('chunk', bytes, isCircuit(conn.remoteAddr))
    })

  active (): Array<{ fileId: string, name: string, bytesDone: number, bytesTotal: number }> {
    return [...this.running.values()]
  }

  /** True while a get runs: the DHT's provides wait for the node to be idle. */
  busy (): boolean {
    return this.getting > 0
  }

  async get (target: string, options: GetOptions = {}): Promise<GetResult> {
    this.getting++
    try {
      return await this.getOne(target, options)
    } finally {
      this.getting--
    }
  }

  private async getOne (target: string, options: GetOptions): Promise<GetResult> {
    const outDir = resolve(options.out ?? this.init.config.downloadsDir)
    if (target.endsWith('/')) {
      return await fetchFolder(this, target, outDir, this.init.config.limits.concurrentFiles, options)
    }
    const resolved = await this.resolve(target, options.signal)
    if (resolved.unnamed !== true) options.onResolved?.({ name: resolved.name, fileId: resolved.fileId })
    return await this.fetch(resolved, outDir, resolved.unnamed === true ? undefined : resolved.name.split('/').pop() ?? resolved.name, options)
  }

  /** A name or file id → one file and every provider of its content. */
  async resolve (target: string, signal?: AbortSignal): Promise<Target> {
    const { finder } = this.init
    if (looksLikeFileId(target)) {
      const fileId = parseFileId(target).toString()
      const local = this.localFile(fileId)
      if (local != null) return { fileId, name: local.name, size: local.size, providers: [] }
      const { found, indexError } = await this.findById(fileId, signal)
      if (found != null) return found
      const why = indexError != null ? `${String(indexError.message)}; and none on the DHT` : `asked ${finder.hasCoordinators ? 'the coordinator and ' : ''}the DHT`
      throw new UnknownFileError(`no provider of file id ${fileId} is known (${why})`)
    }
    let byName: IndexLookupResult[]
    try {
      byName = await finder.lookupName(target, signal)
    } catch (err: any) {
      if (err instanceof NoCoordinatorError) {
        // said once: either none is configured, or why the configured ones failed
        const why = finder.hasCoordinators ? ` (${err.message})` : ' and none is configured (--coordinator or node.coordinators)'
        throw new NoCoordinatorError(`a name needs a coordinator to look it up${why}; a file id does not: fsnode get FILE_ID`)
      }
      throw err
    }
    const ids = [...new Set(byName.map(r => r.fileId.toString()))]
    if (ids.length === 0) throw new UnknownFileError(`no file named ${JSON.stringify(target)} on the network (fsnode ls lists them)`)
    if (ids.length > 1) {
      const list = byName.map(r => `${r.fileId.toString()} (${r.size} bytes, ${r.providers.length} peer${r.providers.length === 1 ? '' : 's'})`)
      throw new AmbiguousNameError(`${JSON.stringify(target)} names ${ids.length} different files: ${[...new Set(list)].join(', ')}; get one by its file id`)
    }
    // every provider of that content, whatever name it shares it under
    const all = await finder.lookupFileId(ids[0], signal)
    const t = merge(ids[0], [...byName, ...all], this.self())
    if (t != null) return { ...t, name: target }
    // only this node shares it: fetch() copies it from the local share
    if (this.localFile(ids[0]) != null) return { fileId: ids[0], name: target, size: byName[0].size, providers: [] }
    throw new NoProvidersError(`no other peer shares ${JSON.stringify(target)}`)
  }

  /**
   * Providers of a file id from the coordinator and the DHT at once: the first non-empty answer
   * wins and the other lookup is cancelled, so the user never chooses and a dead coordinator
   * costs nothing but its timeout.
   */
  private async findById (fileId: string, signal?: AbortSignal): Promise<{ found?: Target, indexError?: Error }> {
    const { finder, records } = this.init
    const race = new AbortController()
    const both = signal == null ? race.signal : AbortSignal.any([signal, race.signal])
    const lookups: Array<Promise<Target | undefined>> = []
    let indexError: Error | undefined
    if (finder.hasCoordinators) {
      lookups.push(finder.lookupFileId(fileId, both).then(r => merge(fileId, r, this.self()), err => { indexError = err; return undefined }))
    }
    if (records != null) {
      const dhtSignal = AbortSignal.any([both, AbortSignal.timeout(DHT_LOOKUP_TIMEOUT)])
      lookups.push(records.findProviders(parseFileId(fileId), { signal: dhtSignal, limit: DHT_PROVIDER_LIMIT }).then(found => found.length === 0
        ? undefined
        : { fileId, name: fileId, size: 0, unnamed: true, providers: found.map(p => ({ peerId: p.peerId.toString(), addrs: p.addrs })) }))
    }
    try {
      const found = await firstFound(lookups)
      return { found, indexError: found == null ? indexError : undefined }
    } finally {
      race.abort()
    }
  }

  /** Download one resolved file to `outDir/saveAs`, then hand it to `fetched` (seeding). */
  async fetch (t: Target, outDir: string, saveAs: string | undefined, options: GetOptions = {}): Promise<GetFileResult> {
    const local = this.localFile(t.fileId)
    if (t.providers.length === 0 && local == null) throw new NoProvidersError(`no other peer shares ${t.name}`)
    const key = `${t.fileId}\u0000${outDir}\u0000${saveAs ?? ''}`
    const state = { fileId: t.fileId, name: t.name, bytesDone: 0, bytesTotal: t.size }
    this.running.set(key, state)
    const onProgress = (e: ProgressEvent): void => {
      state.bytesDone = e.bytesDone
      state.bytesTotal = e.bytesTotal
      options.onProgress?.(e)
    }
    // a file id found on the DHT alone has no name until its manifest comes: then `status` and
    // the downloads list show that name instead of the id
    const onName = t.unnamed !== true
      ? undefined
      : (name: string): void => {
          state.name = name
          options.onResolved?.({ name, fileId: t.fileId })
        }
    const started = performance.now()
    let result: 'ok' | 'failed' = 'failed'
    try {
      if (local != null) {
        try {
          return await this.copyFromShare(local, t, outDir, saveAs ?? local.name.split('/').pop() ?? local.name, options.signal, onProgress)
        } catch (err) {
          if (!(err instanceof LocalSourceChangedError)) throw err
          this.init.share?.revalidate(local) // re-hash it; meanwhile the network may have it
          if (t.providers.length === 0) throw new LocalSourceChangedError(`${err.message}; it is being re-indexed and no other peer shares it`)
          log('%s; fetching it from the network', err.message)
        }
      }
      const r = await download({
        node: this.init.host,
        fileId: parseFileId(t.fileId),
        name: saveAs,
        providers: t.providers,
        outDir,
        signal: options.signal,
        streamsPerProvider: this.init.config.limits.streamsPerPeer,
        limiter: this.downloadLimiter,
        observer: this.init.metrics == null ? undefined : { verified: () => this.init.metrics?.chunkVerified(), rejected: reason => this.init.metrics?.chunkRejected(reason) },
        maxInFlightChunks: this.init.config.limits.maxInflightChunks,
        directWrites: this.init.config.directWrites,
        focus: this.init.config.focusProviders,
        budget: this.budget,
        onProgress,
        onName
      })
      const name = t.unnamed === true ? r.name : t.name
      result = 'ok'
      await this.init.fetched?.([{ path: r.path, identity: r.identity, name, manifest: r.manifest }])
      return {
        fileId: t.fileId,
        name,
        size: r.size,
        path: r.path,
        seconds: r.seconds,
        bytesPerSecond: r.bytesPerSecond,
        providers: r.providersUsed,
        resumedChunks: r.resumedChunks,
        chunks: r.manifest.chunks,
        chunksFromPeer: r.chunksFromPeer
      }
    } finally {
      this.running.delete(key)
      this.init.metrics?.downloadDone((performance.now() - started) / 1000, result)
    }
  }

  /** A copy of a file this node shares itself, verified chunk by chunk; not seeded again. */
  private async copyFromShare (local: ServedFile, t: Target, outDir: string, saveAs: string, signal: AbortSignal | undefined, onProgress: (e: ProgressEvent) => void): Promise<GetFileResult> {
    const r = await copyLocal({ source: local, name: saveAs, outDir, signal, onProgress, directWrites: this.init.config.directWrites })
    return {
      fileId: t.fileId,
      name: t.name,
      size: r.size,
      path: r.path,
      seconds: r.seconds,
      bytesPerSecond: r.bytesPerSecond,
      providers: [],
      resumedChunks: r.resumedChunks,
      fromLocalShare: true
    }
  }

  localFile (fileId: string): ServedFile | undefined {
    return this.init.share?.getByFileId(parseFileId(fileId))
  }

  self (): string {
    return this.init.host.peerId.toString()
  }
}

/** How long the DHT is searched for providers of a file id. */
const DHT_LOOKUP_TIMEOUT = 15_000
/** Providers taken from the DHT for one download. */
const DHT_PROVIDER_LIMIT = 20

/** The first promise to give a value; undefined when all give none or fail. */
async function firstFound<T> (promises: Array<Promise<T | undefined>>): Promise<T | undefined> {
  return await new Promise(resolve => {
    let pending = promises.length
    if (pending === 0) { resolve(undefined); return }
    for (const p of promises) {
      p.then(v => { if (v != null) resolve(v) }, err => { log('provider lookup failed: %s', err?.message) })
        .finally(() => { if (--pending === 0) resolve(undefined) })
    }
  })
}

/** Providers of one file id from lookup results, without ourselves, reachable ones first. */
function merge (fileId: string, results: IndexLookupResult[], self: string): Target | undefined {
  const mine = results.filter(r => r.fileId.toString() === fileId)
  if (mine.length === 0) return undefined
  const seen = new Map<string, IndexProvider>()
  for (const r of mine) {
    for (const p of r.providers) if (p.peerId !== self && !seen.has(p.peerId)) seen.set(p.peerId, p)
  }
  const providers = [...seen.values()].sort((a, b) => Number(b.online) - Number(a.online))
  return { fileId, name: mine[0].name, size: mine[0].size, providers: providers.map(p => ({ peerId: p.peerId, addrs: p.addrs })) }
}
