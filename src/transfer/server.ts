import { open } from 'node:fs/promises'
import { serviceCapabilities } from '@libp2p/interface'
import { ChunkRequest, ChunkResponse } from '../wire/chunk.js'
import { lpEncode, waitForDrain } from '../wire/framing.js'
import { StreamReader } from '../wire/stream-reader.js'
import { MAX_CHUNK_REQUEST_FRAME, MAX_SHARED_NAME_BYTES } from '../wire/constants.js'
import { parseFileId } from '../wire/file-id.js'
import { checkHandle, openedInside } from '../util/file-key.js'
import { Watchdog } from './signals.js'
import { ServingSlots, addressKey } from './slots.js'
import {
  CHUNK_PROTOCOL, MAX_ACTIVE_STREAMS, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_STREAMS_PER_ADDRESS,
  MAX_STREAMS_PER_PEER, SERVER_COALESCE_BYTES, SERVER_IDLE_TIMEOUT, SERVER_OPEN_FILES, SERVER_READ_SIZE, SERVER_REQUEST_HIGH_WATER, SERVER_SEND_TIMEOUT
} from './constants.js'
import type { ComponentLogger, Connection, Logger, Startable, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import type { FileHandle } from 'node:fs/promises'
import type { FileSource, ServedFile } from './source.js'
import type { RateLimiter } from '../bandwidth/token-bucket.js'
import type { SlotHolder } from './slots.js'

/** What the chunk server needs of libp2p (a libp2p node's components; a Libp2p node's own
 * handle/unhandle fit `registrar` too). */
export interface ChunkServerComponents {
  registrar: {
    handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
  logger: ComponentLogger
}

export interface ChunkServerInit {
  /** The share index: files by id, and where to report one that changed on disk. */
  source: FileSource
  /** Chunk streams one connection may have open. @default MAX_INBOUND_STREAMS */
  maxInboundStreams?: number
  /** Our own chunk streams per connection (libp2p applies the handler's limit to dials too).
   * @default MAX_OUTBOUND_STREAMS */
  maxOutboundStreams?: number
  /** Streams served at once over all peers; more get BUSY. @default MAX_ACTIVE_STREAMS */
  maxActiveStreams?: number
  /** Of those, the most one remote address (IPv4 address, IPv6 /64) may hold.
   * @default MAX_STREAMS_PER_ADDRESS */
  maxStreamsPerAddress?: number
  /** Of those, the most one peer id may hold. @default MAX_STREAMS_PER_PEER */
  maxStreamsPerPeer?: number
  /** Close a stream without a request for this long. @default SERVER_IDLE_TIMEOUT */
  idleTimeout?: number
  /** Reset a stream whose peer stops reading for this long. @default SERVER_SEND_TIMEOUT */
  sendTimeout?: number
  /** Bytes read from disk per send. @default SERVER_READ_SIZE */
  readSize?: number
  /** File handles kept open per stream. @default SERVER_OPEN_FILES */
  openFiles?: number
  /** The upload limit for a connection's streams (undefined: none), waited on before each send
   * of chunk bytes. */
  limiter?: (connection: Connection) => RateLimiter | undefined
}

/** A stream being answered, with the timer that bounds each wait for the peer to read. */
interface Out {
  stream: Stream
  stall: Watchdog
  slot: SlotHolder
  /** Upload limit of this stream's connection, if any. */
  limiter?: RateLimiter
  /** Answers not sent yet (see send) and their size. */
  held: Uint8Array[]
  heldBytes: number
}

/** Ends a stream's request loop: the answer was sent, now close. */
class CloseAfterReply extends Error {}

/**
 * Serves `/fileshare/chunk/1.0.0`: manifests and chunk bytes of the files in the share index,
 * by file id only. Requests on one stream are answered in order, one at a time: while a
 * response is being sent, unread requests stay in the StreamReader, which pauses the stream
 * past a few KiB, so a peer cannot queue unbounded work.
 */
export class ChunkServer implements Startable {
  readonly [Symbol.toStringTag] = 'fsnode:chunk-server'
  readonly [serviceCapabilities] = ['@fsnode/chunk-server']
  private readonly init: Required<Omit<ChunkServerInit, 'source' | 'limiter'>>
  private readonly limiter: ChunkServerInit['limiter']
  private readonly registrar: ChunkServerComponents['registrar']
  private readonly log: Logger
  private readonly source: FileSource
  private readonly streams = new Set<Stream>()
  private readonly slots: ServingSlots
  private readonly reported = new WeakSet<ServedFile>()
  private shutdown = new AbortController()
  private started = false

  constructor (components: ChunkServerComponents, init: ChunkServerInit) {
    this.registrar = components.registrar
    this.log = components.logger.forComponent('fsnode:transfer:server')
    this.source = init.source
    this.limiter = init.limiter
    this.init = {
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS,
      maxActiveStreams: init.maxActiveStreams ?? MAX_ACTIVE_STREAMS,
      maxStreamsPerAddress: init.maxStreamsPerAddress ?? MAX_STREAMS_PER_ADDRESS,
      maxStreamsPerPeer: init.maxStreamsPerPeer ?? MAX_STREAMS_PER_PEER,
      idleTimeout: init.idleTimeout ?? SERVER_IDLE_TIMEOUT,
      sendTimeout: init.sendTimeout ?? SERVER_SEND_TIMEOUT,
      readSize: init.readSize ?? SERVER_READ_SIZE,
      openFiles: init.openFiles ?? SERVER_OPEN_FILES
    }
    const { maxActiveStreams: total, maxStreamsPerAddress: perAddress, maxStreamsPerPeer: perPeer } = this.init
    this.slots = new ServingSlots({ total, perAddress, perPeer })
  }

  isStarted (): boolean {
    return this.started
  }

  /** Streams holding a serving slot now. */
  get activeStreams (): number {
    return this.slots.size
  }

  async start (): Promise<void> {
    if (this.started) return
    this.shutdown = new AbortController()
    await this.registrar.handle(CHUNK_PROTOCOL, (stream, connection) => {
      // not awaited: libp2p need not hold anything for the life of the stream
      void this.serve(stream, connection)
    }, { maxInboundStreams: this.init.maxInboundStreams, maxOutboundStreams: this.init.maxOutboundStreams })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.registrar.unhandle(CHUNK_PROTOCOL)
    this.shutdown.abort(new Error('chunk server stopped'))
    for (const stream of this.streams) stream.abort(new Error('chunk server stopped'))
    this.streams.clear()
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer
    const evicted = new AbortController()
    const slot: SlotHolder = {
      address: addressKey(connection.remoteAddr), peer: peer.toString(), idle: true, served: false, evict: () => { evicted.abort() }
    }
    // a stream without a slot is answered BUSY at its first request
    const busy = !this.slots.acquire(slot)
    this.streams.add(stream)
    const reader = new StreamReader(stream, { highWater: SERVER_REQUEST_HIGH_WATER })
    const files = new HandleCache(this.init.openFiles)
    // one timer per stream, refreshed, rather than a new timeout signal per request
    const idle = new Watchdog(this.init.idleTimeout, this.shutdown.signal)
    const out: Out = { stream, stall: new Watchdog(this.init.sendTimeout, this.shutdown.signal), slot, limiter: this.limiter?.(connection), held: [], heldBytes: 0 }
    // idle, stopping, or its slot given to another address: close between requests
    const wait = AbortSignal.any([idle.signal, evicted.signal])
    try {
      while (true) {
        let frame
        try {
          idle.kick()
          slot.idle = true
          // answers wait while more requests are already here: they go out together
          if (!reader.hasFrame()) await this.flush(out)
          frame = await reader.readLp(MAX_CHUNK_REQUEST_FRAME, wait)
          slot.idle = false
          idle.disarm()
        } catch (err: any) {
          if (wait.aborted) break // idle, evicted or stopping: just close
          if (err.name === 'FrameTooLargeError' || err.name === 'InvalidMessageError') {
            await this.reply(out, ChunkResponse.Status.BAD_REQUEST, err.message)
            break
          }
          throw err
        }
        if (frame == null) break // the peer closed its side: no more requests
        if (evicted.signal.aborted) break // its slot went to another address as the frame came in
        if (busy) {
          await this.reply(out, ChunkResponse.Status.BUSY, 'too many streams, try later')
          break
        }
        try {
          await this.handleRequest(out, frame.subarray(), files)
        } catch (err) {
          if (!(err instanceof CloseAfterReply)) throw err
          break
        }
      }
      await this.flush(out)
      await stream.close({ signal: AbortSignal.timeout(this.init.sendTimeout) })
    } catch (err: any) {
      // a peer that vanishes mid-response lands here: reset the stream, never crash
      this.log('chunk stream from %p ended: %s', peer, err.message)
      stream.abort(err)
    } finally {
      idle.disarm()
      out.stall.disarm()
      reader.release()
      this.streams.delete(stream)
      this.slots.release(slot)
      await files.closeAll()
    }
  }

  private async handleRequest (out: Out, frame: Uint8Array, files: HandleCache): Promise<void> {
    let req: ChunkRequest
    let fileId
    try {
      req = ChunkRequest.decode(frame)
      fileId = parseFileId(req.fileId)
    } catch (err: any) {
      await this.reply(out, ChunkResponse.Status.BAD_REQUEST, `malformed request: ${err.message}`)
      throw new CloseAfterReply()
    }
    if (req.type !== ChunkRequest.Type.MANIFEST && req.type !== ChunkRequest.Type.CHUNK) {
      await this.reply(out, ChunkResponse.Status.BAD_REQUEST, `unknown request type ${req.type}`)
      throw new CloseAfterReply()
    }
    const file = this.source.getByFileId(fileId)
    if (file == null) {
      // and close: a stream that only asks for what is not here must not keep its slot
      await this.reply(out, ChunkResponse.Status.NOT_FOUND, 'file id not shared here')
      throw new CloseAfterReply()
    }
    const { manifest } = file
    if (req.type === ChunkRequest.Type.CHUNK && req.index >= manifest.chunks) {
      await this.reply(out, ChunkResponse.Status.OUT_OF_RANGE, `chunk ${req.index} out of range (file has ${manifest.chunks})`)
      return
    }

    let fh: FileHandle
    try {
      fh = await files.get(file.path)
      // the handle itself, not the path: it must be the file the index found inside the share
      if (checkHandle(fh, file, file.path) !== 'same' || (file.within != null && !openedInside(fh, file.within))) {
        await files.drop(file.path)
        this.changed(file)
        await this.reply(out, ChunkResponse.Status.CHANGED, 'file changed on disk; re-indexing')
        return
      }
    } catch (err: any) {
      await files.drop(file.path)
      if (err.code === 'ENOENT') {
        this.changed(file)
        await this.reply(out, ChunkResponse.Status.CHANGED, 'file no longer on disk')
      } else {
        this.log.error('cannot open %s: %s', file.path, err.message)
        await this.reply(out, ChunkResponse.Status.ERROR, 'cannot read the file')
      }
      return
    }

    // the header goes out with the first bytes of the answer, in one send: a small file's
    // answers are then two yamux frames, not four (each its own noise frame and socket write)
    out.slot.served = true
    if (req.type === ChunkRequest.Type.MANIFEST) {
      await this.send(out, Buffer.concat([okHeader(manifest.bytes.byteLength, sharedName(file)), manifest.bytes]))
      return
    }
    const length = manifest.chunkLength(req.index)
    await this.sendRange(out, fh, file, req.index * manifest.chunkSize, length, okHeader(length))
  }

  /** Stream `length` bytes from `offset` in pieces, each in a new buffer (send keeps it), the
   * first one after `head`. */
  private async sendRange (out: Out, fh: FileHandle, file: ServedFile, offset: number, length: number, head: Uint8Array): Promise<void> {
    if (length === 0) await this.send(out, head)
    for (let done = 0; done < length;) {
      const want = Math.min(out.limiter?.pieceBytes(this.init.readSize) ?? this.init.readSize, length - done)
      await out.limiter?.take(want, this.shutdown.signal)
      const skip = done === 0 ? head.byteLength : 0
      const buf = Buffer.allocUnsafe(skip + want)
      if (skip > 0) buf.set(head)
      const { bytesRead } = await fh.read(buf, skip, want, offset + done)
      if (bytesRead < want) {
        // the file shrank after fstat: we promised `length` bytes, so only a reset is honest
        this.changed(file)
        throw new Error(`${file.path} shrank while being served`)
      }
      await this.send(out, buf)
      done += bytesRead
    }
  }

  private async reply (out: Out, status: ChunkResponse.Status, error: string, length = 0, name = ''): Promise<void> {
    if (status === ChunkResponse.Status.OK) out.slot.served = true
    await this.send(out, lpEncode(ChunkResponse.encode({ status, error, length, name })))
  }

  /**
   * Send `data` after the answers held so far. Small answers are held while the next request is
   * already here (see serve), up to SERVER_COALESCE_BYTES: pipelined requests for small files
   * are then answered in one yamux frame, one noise frame and one socket write, instead of one
   * of each per answer (each also costs the peer a window update).
   */
  private async send (out: Out, data: Uint8Array): Promise<void> {
    if (out.heldBytes > 0 && out.heldBytes + data.byteLength > SERVER_COALESCE_BYTES) await this.flush(out)
    out.held.push(data)
    out.heldBytes += data.byteLength
    if (out.heldBytes >= SERVER_COALESCE_BYTES) await this.flush(out)
  }

  /** Send what is held, waiting for the peer to read when the stream is full,
   * SERVER_SEND_TIMEOUT at most. */
  private async flush (out: Out): Promise<void> {
    if (out.held.length === 0) return
    const data = out.held.length === 1 ? out.held[0] : Buffer.concat(out.held, out.heldBytes)
    out.held = []
    out.heldBytes = 0
    if (out.stream.send(data)) return
    out.stall.kick()
    await waitForDrain(out.stream, out.stall.signal)
    out.stall.disarm()
  }

  private changed (file: ServedFile): void {
    if (this.reported.has(file)) return
    this.reported.add(file)
    this.log('%s changed on disk, asking the index to re-hash it', file.path)
    try {
      this.source.revalidate(file)
    } catch (err: any) {
      this.log.error('revalidate %s failed: %s', file.path, err.message)
    }
  }
}

/** The length-prefixed header of an OK answer of `length` bytes. */
function okHeader (length: number, name = ''): Uint8Array {
  return lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, error: '', length, name }))
}

/** The file name (last segment) a file is shared under, sent with its manifest. */
function sharedName (file: ServedFile): string {
  const name = file.name.split('/').pop() ?? ''
  return Buffer.byteLength(name) <= MAX_SHARED_NAME_BYTES ? name : ''
}

/**
 * The chunk server as a libp2p service: `services: { chunkServer: chunkServer({ source }) }`;
 * libp2p starts it (registers the handler) and stops it (unregisters, ends open streams).
 */
export function chunkServer (init: ChunkServerInit): (components: ChunkServerComponents) => ChunkServer {
  return (components) => new ChunkServer(components, init)
}

/** A few open file handles, least recently used closed first. */
class HandleCache {
  private readonly handles = new Map<string, Promise<FileHandle>>()

  constructor (private readonly max: number) {}

  async get (path: string): Promise<FileHandle> {
    let p = this.handles.get(path)
    if (p != null) {
      this.handles.delete(path)
      this.handles.set(path, p)
      return await p
    }
    p = open(path, 'r')
    this.handles.set(path, p)
    p.catch(() => { if (this.handles.get(path) === p) this.handles.delete(path) })
    while (this.handles.size > this.max) {
      const [oldest] = this.handles.keys()
      await this.drop(oldest)
    }
    return await p
  }

  async drop (path: string): Promise<void> {
    const p = this.handles.get(path)
    this.handles.delete(path)
    await p?.then(async fh => { await fh.close() }, () => {})
  }

  async closeAll (): Promise<void> {
    await Promise.all([...this.handles.keys()].map(async k => { await this.drop(k) }))
  }
}
