import { createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { ChunkRequest, ChunkResponse } from '../wire/chunk.js'
import { sendAll } from '../wire/framing.js'
import { StreamReader } from '../wire/stream-reader.js'
import { MAX_CHUNK_RESPONSE_HEADER, MAX_MANIFEST_BYTES } from '../wire/constants.js'
import { Manifest } from '../wire/file-manifest.js'
import {
  BATCH_MAX_FILE_BYTES, BATCH_PIPELINE, BATCH_STREAMS, CHUNK_PROTOCOL, CHUNK_TIMEOUT, MAX_OUTBOUND_STREAMS,
  MAX_STREAM_REOPENS, STREAM_OPEN_TIMEOUT
} from './constants.js'
import { ChunkHashMismatchError, ProtocolViolationError } from './errors.js'
import { connect, readHeader, requestFrame } from './fetcher.js'
import { BatchPlacer } from './batch-placer.js'
import { Watchdog } from './signals.js'
import { terminalText } from '../util/terminal-text.js'
import type { Dialer, Provider } from './fetcher.js'
import type { FileIdentity } from './out-folder.js'
import type { RateLimiter } from '../bandwidth/token-bucket.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const log = logger('fsnode:transfer:batch')

/** A small file to fetch: its id, the name to save it under, and the size a listing gave
 * (a hint only: the manifest, which must hash to the id, decides). */
export interface BatchFile {
  fileId: CID
  name: string
  size: number
}

export interface BatchPlaced {
  file: BatchFile
  manifest: Manifest
  path: string
  identity: FileIdentity
  /** A file with this content was already at the name: nothing was written. */
  existed: boolean
  seconds: number
}

export interface BatchInit {
  node: Dialer
  provider: Provider
  files: BatchFile[]
  outDir: string
  signal?: AbortSignal
  /** @default BATCH_STREAMS */
  streams?: number
  /** Files requested ahead on one stream. @default BATCH_PIPELINE */
  pipeline?: number
  /** A response that makes no progress for this long fails. @default CHUNK_TIMEOUT */
  timeout?: number
  /** Told of every file placed, as soon as it is. */
  onPlaced?: (r: BatchPlaced) => void
  /** The download limit for the provider's connection (undefined: none), taken before each
   * chunk body is read, as a get does. */
  limiter?: (connection: Connection) => RateLimiter | undefined
}

export interface BatchResult {
  placed: BatchPlaced[]
  /** Files this batch did not place, with why: fetch them the ordinary way (every provider,
   * chunk by chunk). */
  rest: Array<{ file: BatchFile, reason: string }>
}

/** Whether a listed file goes through a batch: its listed size fits one chunk of the smallest
 * chunk size, so MANIFEST and CHUNK 0 can be asked for at once. */
export function batchable (size: number): boolean {
  return Number.isSafeInteger(size) && size >= 0 && size <= BATCH_MAX_FILE_BYTES
}

/** The provider cannot be trusted with the rest of the batch. */
class BatchAbandoned extends Error {}

/**
 * Many small files from one provider over a few streams of one connection: for each file the
 * MANIFEST and CHUNK 0 requests are pipelined, `pipeline` files ahead, with no new stream, no
 * lookup and no round trip per file. Works with every provider of `/fileshare/chunk/1.0.0`,
 * which answers pipelined requests in order whatever their file ids.
 *
 * Every file is verified as a get verifies it: the manifest must hash to the file's id and the
 * chunk to the manifest's hash, then it is placed by a `BatchPlacer` (partial file, fdatasync,
 * no-clobber rename, the --out rules of out-folder.ts). Whatever does not fit (more than one
 * chunk after all, NOT_FOUND, CHANGED, a stream that keeps failing) is handed back in `rest`;
 * a provider that sends a wrong manifest or chunk is dropped for the whole batch at once.
 */
export async function fetchBatch (init: BatchInit): Promise<BatchResult> {
  return await new Batch(init).run()
}

interface Sent {
  file: BatchFile
  /** CHUNK 0 was asked for too. */
  chunk: boolean
  started: number
}

class Batch {
  private readonly queue: BatchFile[]
  private readonly placed: BatchPlaced[] = []
  private readonly rest: Array<{ file: BatchFile, reason: string }> = []
  private readonly signal: AbortSignal
  private readonly stop = new AbortController()
  private readonly placing = new Set<Promise<void>>()
  private readonly placer: BatchPlacer
  private connection?: Promise<Connection>
  private limiter?: RateLimiter
  private abandoned?: string
  private readonly streams: number
  private readonly pipeline: number
  private readonly timeout: number
  private readonly peer: string

  constructor (private readonly init: BatchInit) {
    this.queue = [...init.files]
    this.signal = init.signal == null ? this.stop.signal : AbortSignal.any([init.signal, this.stop.signal])
    this.streams = Math.max(1, init.streams ?? BATCH_STREAMS)
    this.pipeline = Math.max(1, init.pipeline ?? BATCH_PIPELINE)
    this.timeout = init.timeout ?? CHUNK_TIMEOUT
    this.peer = init.provider.peerId.toString()
    this.placer = new BatchPlacer(init.outDir)
  }

  async run (): Promise<BatchResult> {
    const workers = Math.min(this.streams, Math.ceil(this.queue.length / this.pipeline))
    try {
      await Promise.all(Array.from({ length: workers }, async () => { await this.worker() }))
      while (this.placing.size > 0) await Promise.all(this.placing)
    } finally {
      await this.placer.close() // the folders' fsync: placed files are durable when the batch returns
    }
    this.init.signal?.throwIfAborted()
    for (const file of this.queue.splice(0)) this.rest.push({ file, reason: this.abandoned ?? 'not fetched' })
    return { placed: this.placed, rest: this.rest }
  }

  private async worker (): Promise<void> {
    let failures = 0
    while (this.queue.length > 0 && this.abandoned == null && !this.signal.aborted) {
      let stream: Stream
      try {
        stream = await this.openStream()
      } catch (err: any) {
        if (this.signal.aborted) return
        log('%s: cannot open a stream: %s', this.peer, err.message)
        this.connection = undefined
        if (++failures > MAX_STREAM_REOPENS) return
        continue
      }
      const progressed = await this.runStream(stream)
      if (progressed) failures = 0
      else if (++failures > MAX_STREAM_REOPENS) return
    }
  }

  private async openStream (): Promise<Stream> {
    let conn = await this.connection
    if (conn?.status !== 'open') {
      this.connection = connect(this.init.node, this.init.provider, this.signal)
      this.connection.catch(() => {})
      conn = await this.connection
    }
    this.limiter = this.init.limiter?.(conn)
    return await conn.newStream(CHUNK_PROTOCOL, {
      signal: AbortSignal.any([this.signal, AbortSignal.timeout(STREAM_OPEN_TIMEOUT)]),
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    })
  }

  /** Pipeline files on one stream until the queue is empty or the stream fails; true when at
   * least one file was answered. */
  private async runStream (stream: Stream): Promise<boolean> {
    // never paused: what arrives is bounded by the files we asked for (pipeline x one chunk)
    const reader = new StreamReader(stream, { highWater: (this.pipeline + 1) * (BATCH_MAX_FILE_BYTES + 2 * MAX_CHUNK_RESPONSE_HEADER) })
    const watchdog = new Watchdog(this.timeout, this.signal)
    const sent: Sent[] = []
    let answered = 0
    try {
      while (true) {
        // topped up half a pipeline at a time, in one write: the provider then has several
        // requests at once and answers them in one socket write (server.ts send), where one
        // file at a time costs a write and a wake-up on each side per file
        if (sent.length <= this.pipeline / 2) await this.request(stream, sent, watchdog)
        if (sent.length === 0) {
          if (this.queue.length === 0 || this.abandoned != null) break
          await Promise.race(this.placing) // the disk is behind: wait for a placement
          continue
        }
        watchdog.kick()
        const closes = await this.answer(reader, sent[0], watchdog)
        sent.shift()
        answered++
        if (closes) break // the provider closes the stream after this answer
      }
      this.queue.unshift(...sent.map(s => s.file))
      sent.length = 0
      this.closeQuietly(stream)
    } catch (err: any) {
      this.queue.unshift(...sent.map(s => s.file))
      if (err instanceof BatchAbandoned || err instanceof ChunkHashMismatchError || err instanceof ProtocolViolationError) {
        this.abandon(`${err.name}: ${err.message}`)
      } else if (watchdog.fired) {
        this.abandon(`timeout: ${err.message}`) // a stalling provider: the ordinary get has its own timeouts
      } else if (!this.signal.aborted) {
        log('%s: batch stream failed: %s', this.peer, err.message)
      }
      stream.abort(err)
    } finally {
      watchdog.disarm()
      reader.release()
    }
    return answered > 0
  }

  /** Ask for the next files, up to a full pipeline, in one write; room for more only while the
   * disk keeps up (placements in progress count too). */
  private async request (stream: Stream, sent: Sent[], watchdog: Watchdog): Promise<void> {
    const frames: Uint8Array[] = []
    while (sent.length < this.pipeline && this.placing.size < this.pipeline * this.streams && this.queue.length > 0) {
      const file = this.queue.shift() as BatchFile
      const chunk = file.size > 0
      sent.push({ file, chunk, started: Date.now() })
      frames.push(requestFrame(ChunkRequest.Type.MANIFEST, file.fileId, 0))
      if (chunk) frames.push(requestFrame(ChunkRequest.Type.CHUNK, file.fileId, 0))
    }
    if (frames.length === 0) return
    watchdog.kick()
    await sendAll(stream, Buffer.concat(frames), watchdog.signal)
  }

  /** Read the answers to one file's requests; true when the provider closes the stream after
   * them (NOT_FOUND, BAD_REQUEST, BUSY: the rest of what was sent is lost). */
  private async answer (reader: StreamReader, s: Sent, watchdog: Watchdog): Promise<boolean> {
    const { file } = s
    const head = await readHeader(reader, watchdog.signal)
    let manifest: Manifest | undefined
    if (head.status === ChunkResponse.Status.OK) {
      if (head.length > MAX_MANIFEST_BYTES) throw new ProtocolViolationError(`manifest of ${head.length} bytes is too large`)
      const bytes = (await reader.readExact(head.length, watchdog.signal)).subarray()
      try {
        manifest = Manifest.decode(bytes, file.fileId)
      } catch (err: any) {
        throw new ProtocolViolationError(`manifest of ${file.name}: ${err.message}`)
      }
    } else {
      this.rest.push({ file, reason: describe(head) })
      if (closesStream(head.status)) return true
    }
    if (!s.chunk) {
      if (manifest == null) return false
      if (manifest.chunks !== 0) {
        this.rest.push({ file, reason: `${manifest.chunks} chunks, listed as empty` })
        return false
      }
      this.place(file, manifest, [], s.started)
      return false
    }
    const res = await readHeader(reader, watchdog.signal)
    if (res.status !== ChunkResponse.Status.OK) {
      if (manifest != null) this.rest.push({ file, reason: describe(res) })
      return closesStream(res.status)
    }
    // at most one chunk of a file we asked for as small: more is a lie whatever the manifest
    if (res.length > BATCH_MAX_FILE_BYTES) throw new ProtocolViolationError(`chunk 0 of ${file.name} announced ${res.length} bytes`)
    await this.takeBandwidth(res.length, watchdog)
    const body = Buffer.from((await reader.readExact(res.length, watchdog.signal)).subarray())
    if (manifest == null) return false // answered the chunk of a file whose manifest failed
    if (manifest.chunks !== 1) {
      // listed as small, but it is not (the listing is only a hint): the ordinary get fetches it
      this.rest.push({ file, reason: `${manifest.chunks} chunks` })
      return false
    }
    if (res.length !== manifest.chunkLength(0)) throw new ProtocolViolationError(`chunk 0 of ${file.name} announced ${res.length} bytes, expected ${manifest.chunkLength(0)}`)
    const digest = createHash('sha256').update(body).digest()
    if (!digest.equals(manifest.chunkHash(0))) throw new ChunkHashMismatchError(`chunk 0 of ${file.name} from ${this.peer} does not match the manifest`)
    this.place(file, manifest, [body], s.started)
    return false
  }

  /** Wait for the download limit to grant `bytes`; waiting on our own limit is not the
   * provider stalling. */
  private async takeBandwidth (bytes: number, watchdog: Watchdog): Promise<void> {
    const limiter = this.limiter
    if (limiter == null) return
    watchdog.disarm()
    for (let left = bytes; left > 0;) {
      const n = Math.max(1, Math.min(left, limiter.pieceBytes(left)))
      await limiter.take(n, this.signal)
      left -= n
    }
    watchdog.kick()
  }

  /** Write a verified file and move it to its name, in the background (bounded by the
   * pipeline: a stream asks for more only while few placements are under way). */
  private place (file: BatchFile, manifest: Manifest, chunks: Uint8Array[], started: number): void {
    const job: Promise<void> = this.placer.place(file.name, manifest, chunks).then(r => {
      const placed = { file, manifest, ...r, seconds: (Date.now() - started) / 1000 }
      this.placed.push(placed)
      this.init.onPlaced?.(placed)
    }, (err: Error) => {
      log('%s: cannot place %s: %s', this.peer, file.name, err.message)
      this.rest.push({ file, reason: `${err.name}: ${err.message}` })
    }).finally(() => { this.placing.delete(job) })
    this.placing.add(job)
  }

  private abandon (why: string): void {
    if (this.abandoned != null) return
    this.abandoned = terminalText(why)
    log('%s: batch abandoned: %s', this.peer, why)
    this.stop.abort(new BatchAbandoned(why))
  }

  private closeQuietly (stream: Stream): void {
    stream.close({ signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT) }).catch((err: Error) => { stream.abort(err) })
  }
}

/** The chunk server closes a stream after these answers. */
function closesStream (status: ChunkResponse.Status): boolean {
  return status === ChunkResponse.Status.NOT_FOUND || status === ChunkResponse.Status.BAD_REQUEST || status === ChunkResponse.Status.BUSY
}

function describe (res: ChunkResponse): string {
  return `${ChunkResponse.Status[res.status] ?? res.status}${res.error === '' ? '' : `: ${terminalText(res.error)}`}`
}
