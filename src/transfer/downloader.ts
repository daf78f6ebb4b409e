import { realpath } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { parseFileId } from '../wire/file-id.js'
import {
  MAX_IN_FLIGHT_BYTES, MAX_IN_FLIGHT_CHUNKS, MAX_PROVIDERS_PER_DOWNLOAD, REQUESTS_PER_STREAM, STREAMS_PER_PROVIDER, WRITE_QUEUE_CHUNKS
} from './constants.js'
import { BufferPool } from './buffer-pool.js'
import { ByteBudget } from './budget.js'
import { ChunksUnavailableError, DownloadAbortedError, ManifestUnavailableError } from './errors.js'
import { fetchManifestAndName, ProviderFetcher } from './fetcher.js'
import { focusProviders } from './focus-timer.js'
import { contentIdentity } from './disk.js'
import { safeDir } from './out-folder.js'
import { PartialFile } from './partial-file.js'
import { Progress } from './progress.js'
import { sanitizeName } from './sanitize.js'
import { ChunkScheduler } from './scheduler.js'
import { streamPlan } from './shares.js'
import { Wakeup } from './signals.js'
import type { Dialer, FetcherInit, Provider } from './fetcher.js'
import type { LoadMeter } from './focus-timer.js'
import type { FailureReason } from './scheduler.js'
import type { DownloadProgress } from './progress.js'
import type { FileIdentity } from './out-folder.js'
import type { Manifest } from '../wire/file-manifest.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

export type { DownloadProgress } from './progress.js'

const log = logger('fsnode:transfer')

export interface DownloadOptions {
  /** Only `dial` is used. */
  node: Dialer
  fileId: CID | string
  /** Name to save under, '/'-separated (sanitised). When absent: the file name the provider
   * of the manifest shares it under, or else the file id. */
  name?: string
  providers: Array<{ peerId: PeerId | string, addrs: Array<Multiaddr | string> }>
  outDir: string
  signal?: AbortSignal
  /** Called at most every `progressInterval` ms, and once at the end. */
  onProgress?: (e: DownloadProgress) => void
  /** Told the name the file is saved under once the manifest is known (before any chunk). */
  onName?: (name: string) => void
  /** @default STREAMS_PER_PROVIDER */
  streamsPerProvider?: number
  /** @default REQUESTS_PER_STREAM */
  requestsPerStream?: number
  /** A request without a byte for this long fails. @default CHUNK_TIMEOUT */
  chunkTimeout?: number
  /** @default MANIFEST_TIMEOUT */
  manifestTimeout?: number
  /** Memory for chunks in flight or waiting for the disk. @default MAX_IN_FLIGHT_BYTES */
  maxInFlightBytes?: number
  /** Chunks in flight or waiting for the disk. @default MAX_IN_FLIGHT_CHUNKS */
  maxInFlightChunks?: number
  /** Verified chunks waiting for the disk beyond those requested. @default WRITE_QUEUE_CHUNKS */
  writeQueueChunks?: number
  /** Write whole chunks of a big file with O_DIRECT where possible (direct-io.ts). @default true */
  directWrites?: boolean
  /** Start from the provider that answered first and fetch from more only while this
   * machine has CPU to spare, from fewer while its CPU is what limits the download
   * (focus.ts); the others stay in reserve. @default true */
  focus?: boolean
  /** How busy this process is (focus-timer.ts). @default its event loop's utilisation */
  load?: LoadMeter
  /** The node's budget, shared by its downloads; each also keeps to maxInFlightBytes. */
  budget?: ByteBudget
  /** @default PROGRESS_INTERVAL */
  progressInterval?: number
  /** The download limit for a provider's connection (undefined: none). */
  limiter?: FetcherInit['limiter']
  /** Told of every verified chunk and every failed request (metrics). */
  observer?: ChunkObserver
}

export interface ChunkObserver {
  verified: (bytes: number) => void
  rejected: (reason: FailureReason) => void
}

export interface DownloadResult {
  fileId: string
  /** The name asked for, as given (or the provider's, when none was). */
  name: string
  /** Where the file is (under the output folder's real path): the name, or `name (n).ext`
   * when that was taken by other content. */
  path: string
  /** The file at `path` when the download ended (a regular file, not a link): share it only
   * while `path` is still this file. */
  identity: FileIdentity
  size: number
  seconds: number
  /** Bytes fetched in this run (resumed chunks excluded) per second. */
  bytesPerSecond: number
  providersUsed: string[]
  chunksFromPeer: Record<string, number>
  resumedChunks: number
  /** True when a file with this content was already at the path: nothing was fetched. */
  alreadyPresent: boolean
  /** Providers left out or banned, with the reason. */
  failedPeers: Record<string, string>
  manifest: Manifest
}

/**
 * Fetch one file by id from every provider at once into `outDir`. Chunks are verified before
 * they are written; the file appears under its name only when complete. An interrupted or
 * failed download leaves `.fsnode-partial/<id>.part` + `.state` behind and resumes from them.
 */
export async function download (opts: DownloadOptions): Promise<DownloadResult> {
  const started = Date.now()
  const fileId = typeof opts.fileId === 'string' ? parseFileId(opts.fileId) : opts.fileId
  const id = fileId.toString()
  const signal = opts.signal ?? new AbortController().signal
  if (opts.name != null) sanitizeName(opts.name, opts.outDir) // a hostile name fails before any network
  const providers: Provider[] = opts.providers.slice(0, MAX_PROVIDERS_PER_DOWNLOAD).map(p => ({
    peerId: typeof p.peerId === 'string' ? peerIdFromString(p.peerId) : p.peerId,
    addrs: p.addrs.map(a => typeof a === 'string' ? multiaddr(a) : a)
  }))

  const { manifest, from, refused, sharedName } = await firstManifest(opts.node, providers, fileId, signal, opts.manifestTimeout)
  const name = opts.name ?? providerName(sharedName, opts.outDir) ?? id
  const target = sanitizeName(name, opts.outDir)
  opts.onName?.(name)
  // two downloads of one id into one folder would share the partial file: one at a time
  return await withLock(`${resolve(opts.outDir)}\u0000${id}`, async () => {
    const base = { fileId: id, name, size: manifest.size, manifest, failedPeers: Object.fromEntries(refused) }
    const present = await presentCopy(opts.outDir, target.relative, manifest)
    if (present != null) {
      opts.onProgress?.({ bytesDone: manifest.size, bytesTotal: manifest.size, peers: 0, rate: 0 })
      return {
        ...base,
        ...present,
        seconds: (Date.now() - started) / 1000,
        bytesPerSecond: 0,
        providersUsed: [from],
        chunksFromPeer: {},
        resumedChunks: manifest.chunks,
        alreadyPresent: true
      }
    }
    const usable = providers.filter(p => !refused.has(p.peerId.toString()))
    log('%s: %d of %d providers after the manifest (%s)', id, usable.length, providers.length, [...refused.values()].join('; '))
    const run = await fetchAll(opts, manifest, usable, from, name, signal)
    const seconds = (Date.now() - started) / 1000
    return {
      ...base,
      path: run.path,
      identity: run.identity,
      seconds,
      bytesPerSecond: seconds > 0 ? run.bytes / seconds : 0,
      providersUsed: [...new Set([from, ...Object.keys(run.chunksFromPeer)])],
      chunksFromPeer: run.chunksFromPeer,
      resumedChunks: run.resumed,
      alreadyPresent: run.existed,
      failedPeers: { ...base.failedPeers, ...run.banned }
    }
  })
}

interface RunResult {
  path: string
  identity: FileIdentity
  existed: boolean
  resumed: number
  bytes: number
  chunksFromPeer: Record<string, number>
  banned: Record<string, string>
}

/** Report what the fetchers tell the scheduler, without the scheduler knowing: a chunk it
 * receives was verified against the manifest; a failure other than a cancel was a rejection. */
function observe (scheduler: ChunkScheduler, o: ChunkObserver): void {
  const received = scheduler.received.bind(scheduler)
  const failed = scheduler.failed.bind(scheduler)
  scheduler.received = (peer, index, bytes, ms) => { o.verified(bytes); return received(peer, index, bytes, ms) }
  scheduler.failed = (peer, index, reason, detail) => { if (reason !== 'cancelled') o.rejected(reason); failed(peer, index, reason, detail) }
}

/** The chunk phase: fetchers feed verified chunks to the partial file until the scheduler
 * says the file is complete or that it cannot be. */
async function fetchAll (opts: DownloadOptions, manifest: Manifest, providers: Provider[], first: string, name: string, userSignal: AbortSignal): Promise<RunResult> {
  const partial = await PartialFile.open({ outDir: opts.outDir, manifest, direct: opts.directWrites ?? true })
  const done = partial.doneIndexes()
  const pipeline = opts.requestsPerStream ?? REQUESTS_PER_STREAM
  const plan = streamPlan(providers.length, opts.streamsPerProvider ?? STREAMS_PER_PROVIDER, pipeline, manifest.chunks - done.length)
  const maxBytes = opts.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES
  // requests on the wire plus a few chunks waiting for the disk: a longer write queue only
  // holds memory (a disk slower than the network is the bottleneck either way)
  const maxInFlight = Math.max(1, Math.min(opts.maxInFlightChunks ?? MAX_IN_FLIGHT_CHUNKS, Math.floor(maxBytes / manifest.chunkSize),
    plan.totalInFlight + (opts.writeQueueChunks ?? WRITE_QUEUE_CHUNKS)))
  // the manifest's chunk size only changes how many chunks fit, never the bytes
  const budget = new ByteBudget(maxBytes, opts.budget)
  const wakeup = new Wakeup()
  const refocus = new Wakeup()
  const scheduler = new ChunkScheduler({
    chunks: manifest.chunks,
    done,
    perPeerInFlight: plan.perPeerInFlight,
    totalInFlight: plan.totalInFlight,
    maxInFlight,
    budget,
    chunkBytes: manifest.chunkSize,
    onFocusChange: () => { refocus.notify(); wakeup.notify() }
  })
  if (opts.observer != null) observe(scheduler, opts.observer)
  // another download giving bytes back may let this one request more
  const unsubscribe = (opts.budget ?? budget).onFree(() => { wakeup.notify() })
  const stop = new AbortController()
  const signal = AbortSignal.any([userSignal, stop.signal])
  const progress = new Progress(manifest.size, done.reduce((n, i) => n + manifest.chunkLength(i), 0), opts.onProgress, opts.progressInterval)
  const writes = new Set<Promise<void>>()
  // a buffer is out only for a chunk in flight or being written: keeping every one for reuse
  // holds no more than the budget, and none is allocated (and left to the GC) per chunk
  const buffers = new BufferPool(manifest.chunkSize, maxInFlight, partial.writesDirect)
  let fatal: Error | undefined

  const onChunk = (index: number, data: Uint8Array): void => {
    const w: Promise<void> = partial.write(index, data).then(() => {
      scheduler.written(index)
      progress.add(data.byteLength)
    }, (err: Error) => { fatal ??= err })
      .finally(() => { buffers.release(data); writes.delete(w); wakeup.notify() })
    writes.add(w)
  }
  const fetchers = providers.map(provider => new ProviderFetcher({
    node: opts.node,
    provider,
    manifest,
    scheduler,
    wakeup,
    refocus,
    onChunk,
    buffers,
    signal,
    streams: plan.streams,
    pipeline,
    chunkTimeout: opts.chunkTimeout,
    limiter: opts.limiter
  }))
  for (const f of fetchers) scheduler.addPeer(f.peer)
  // before the fetchers ask for their first chunks: a download starts from one provider
  const unfocus = providers.length > 1 && opts.focus !== false && !scheduler.complete
    ? focusProviders(scheduler, { name, first, load: opts.load })
    : () => {}
  const running = scheduler.complete ? [] : fetchers.map(async f => { await f.run() })
  progress.start(() => scheduler.reserve.focused?.length ?? scheduler.stats().filter(s => s.state === 'active').length)
  const settle = async (why: unknown): Promise<void> => {
    unfocus()
    stop.abort(why)
    await Promise.all(running)
    await Promise.all(writes)
    scheduler.close()
    unsubscribe()
    progress.stop()
  }

  try {
    // this loop only decides when to stop; the fetchers and the writes do the work
    while (!scheduler.complete) {
      if (fatal != null) throw fatal
      if (userSignal.aborted) throw new DownloadAbortedError(`download of ${name} aborted; run get again to resume`)
      if (scheduler.stuck) throw unavailableError(name, scheduler)
      // re-check now and then even without news: a missed wakeup must not hang a download
      await wakeup.wait(userSignal, 1_000).catch(() => {})
    }
    await settle(new Error('download complete'))
    if (fatal != null) throw fatal
  } catch (err) {
    await settle(err)
    await partial.close().catch(() => {}) // what is on disk stays, recorded, for a resume
    log('download of %s failed: %s', manifest.fileId, (err as Error).message)
    throw err
  }
  const placed = await partial.complete(name)
  const stats = scheduler.stats()
  return {
    ...placed,
    resumed: partial.resumed,
    bytes: stats.reduce((n, s) => n + s.bytes, 0),
    chunksFromPeer: Object.fromEntries(stats.filter(s => s.chunks > 0).map(s => [s.peer, s.chunks])),
    banned: Object.fromEntries(stats.filter(s => s.state === 'banned').map(s => [s.peer, s.reason ?? 'banned']))
  }
}

/** Place a file whose chunks were all verified against `manifest` under `name` in `outDir`,
 * as a download does: skipped when that content is already there, else written to a partial
 * file and moved to its name without clobbering (a batch of small files uses this). */
export async function placeVerified (outDir: string, name: string, manifest: Manifest, chunks: Uint8Array[]): Promise<{ path: string, identity: FileIdentity, existed: boolean }> {
  const target = sanitizeName(name, outDir)
  return await withLock(`${resolve(outDir)}\u0000${manifest.fileId.toString()}`, async () => {
    const present = await presentCopy(outDir, target.relative, manifest)
    if (present != null) return { ...present, existed: true }
    const partial = await PartialFile.open({ outDir, manifest })
    try {
      for (const [i, chunk] of chunks.entries()) if (!partial.has(i)) await partial.write(i, chunk)
      return await partial.complete(name)
    } catch (err) {
      await partial.close().catch(() => {})
      throw err
    }
  })
}

/** The file already at `relative` under the output folder when it has the manifest's content,
 * reached without links: a link on the way refuses the download before any chunk is fetched. */
export async function presentCopy (outDir: string, relative: string, manifest: Manifest): Promise<{ path: string, identity: FileIdentity } | undefined> {
  const outReal = await realpath(outDir).catch(() => undefined)
  if (outReal == null) return undefined
  const segments = relative.split('/')
  const dir = await safeDir(outReal, segments.slice(0, -1), false)
  if (dir == null) return undefined
  const path = join(dir, segments[segments.length - 1])
  const identity = await contentIdentity(path, manifest)
  return identity == null ? undefined : { path, identity }
}

/** Ask every provider at once; the first manifest that hashes to the id wins. Providers that
 * fail (NOT_FOUND, CHANGED, a wrong manifest, unreachable) before that are left out. */
async function firstManifest (node: Dialer, providers: Provider[], fileId: CID, signal: AbortSignal, timeout?: number): Promise<{ manifest: Manifest, sharedName: string, from: string, refused: Map<string, string> }> {
  if (providers.length === 0) throw new ManifestUnavailableError(`no provider given for ${fileId.toString()}`)
  const won = new AbortController()
  const either = AbortSignal.any([signal, won.signal])
  const refused = new Map<string, string>()
  try {
    return await Promise.any(providers.map(async p => {
      const peer = p.peerId.toString()
      try {
        const { manifest, name } = await fetchManifestAndName(node, p, fileId, { signal: either, timeout })
        return { manifest, sharedName: name, from: peer, refused }
      } catch (err: any) {
        if (!won.signal.aborted) refused.set(peer, `${err.name}: ${err.message}`)
        throw err
      }
    }))
  } catch {
    if (signal.aborted) throw new DownloadAbortedError(`download of ${fileId.toString()} aborted`)
    const why = [...refused].map(([p, e]) => `${p}: ${e}`).join('; ')
    throw new ManifestUnavailableError(`no provider answered with the manifest of ${fileId.toString()} (${why})`)
  } finally {
    won.abort()
  }
}

/** A provider's name for the file, as a plain file name under `outDir`; undefined when it
 * gives none or one that is no use (the provider is not trusted with paths). */
function providerName (name: string, outDir: string): string | undefined {
  const base = name.split('/').pop() ?? ''
  if (base === '' || base === '.' || base === '..') return undefined
  try {
    sanitizeName(base, outDir)
    return base
  } catch {
    return undefined
  }
}

function unavailableError (name: string, scheduler: ChunkScheduler): ChunksUnavailableError {
  const missing = scheduler.unavailable()
  const first = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '')
  const peers = scheduler.stats().map(s => `${s.peer}: ${s.reason ?? s.state}`).join('; ')
  return new ChunksUnavailableError(`no provider could supply chunk${missing.length === 1 ? '' : 's'} ${first} of ${name} ` +
    `(${peers === '' ? 'no provider has it' : peers}); the partial download is kept for a retry`)
}

const locks = new Map<string, Promise<void>>()

/** Run `fn` after every earlier holder of `key` in this process is done. */
export async function withLock<T> (key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve()
  let release = (): void => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const mine = prev.then(async () => { await gate })
  locks.set(key, mine)
  await prev
  try {
    return await fn()
  } finally {
    release()
    if (locks.get(key) === mine) locks.delete(key)
  }
}
