import { createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { ChunkRequest, ChunkResponse } from '../wire/chunk.js'
import { lpEncode, sendAll } from '../wire/framing.js'
import { StreamReader } from '../wire/stream-reader.js'
import { MAX_CHUNK_RESPONSE_HEADER, MAX_MANIFEST_BYTES } from '../wire/constants.js'
import { Manifest } from '../wire/file-manifest.js'
import {
  CHUNK_PROTOCOL, CHUNK_TIMEOUT, DIAL_TIMEOUT, MANIFEST_TIMEOUT, MAX_OUTBOUND_STREAMS, MAX_STREAM_REOPENS,
  REQUESTS_PER_STREAM, STREAM_OPEN_TIMEOUT, STREAMS_PER_PROVIDER
} from './constants.js'
import { ChunkHashMismatchError, ProtocolViolationError, ProviderResponseError, StreamClosedError } from './errors.js'
import { checkWanted, closeQuietly, reasonFor, retire, retirementFor, retirementForStatus } from './stream-retire.js'
import type { StreamEnd } from './stream-retire.js'
import { Watchdog } from './signals.js'
import { DIRECT_DIAL_TIMEOUT } from '../relay/constants.js'
import { terminalText } from '../util/terminal-text.js'
import type { BufferPool } from './buffer-pool.js'
import type { RateLimiter } from '../bandwidth/token-bucket.js'
import type { ChunkScheduler, FailureReason } from './scheduler.js'
import type { Wakeup } from './signals.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

const log = logger('fsnode:transfer:fetcher')

/** A node that can dial; nothing else of libp2p is used by a download. */
export type Dialer = Pick<Libp2p, 'dial'>

export interface Provider {
  peerId: PeerId
  addrs: Multiaddr[]
}

/** One connection to a provider: dial its addresses (each ending in its /p2p/ id, so Noise
 * authenticates it), or its peer id alone when none are known. */
export async function connect (node: Dialer, provider: Provider, signal: AbortSignal): Promise<Connection> {
  const id = provider.peerId.toString()
  // the peer id an address ends in is whom it reaches; a relayed one names its relay before
  // /p2p-circuit, and only the id after it must be the provider's
  const addrs = provider.addrs.flatMap(a => {
    const target = a.getComponents().findLast(c => c.name === 'p2p' || c.name === 'p2p-circuit')
    if (target == null || target.name === 'p2p-circuit') return [a.encapsulate(`/p2p/${id}`)]
    return target.value === id ? [a] : []
  })
  const conn = await dialDirectFirst(node, addrs.length > 0 ? addrs : undefined, provider.peerId, signal)
  if (!conn.remotePeer.equals(provider.peerId)) throw new ProtocolViolationError(`dialled ${id} but reached ${conn.remotePeer.toString()}`)
  return conn
}

/** Direct addresses first; the relayed ones (`.../p2p-circuit/...`) only when no direct one
 * answered within DIRECT_DIAL_TIMEOUT (a NATed provider's private addresses may never answer);
 * then, if none of the given addresses worked (a DHT provider record can be older than the
 * provider's relay reservation), the addresses libp2p knows or finds for the peer id. When it
 * knows none (NoValidAddressesError), the given addresses are tried once more: a busy provider
 * (a burst of peers, a loaded CPU) may have refused or not finished the first handshake. The
 * error thrown is the last real dial failure, never a "no valid addresses" that hides it. */
async function dialDirectFirst (node: Dialer, addrs: Multiaddr[] | undefined, peer: PeerId, signal: AbortSignal): Promise<Connection> {
  const dial = async (target: Multiaddr[] | PeerId, ms: number): Promise<Connection> =>
    await node.dial(target, { signal: AbortSignal.any([signal, AbortSignal.timeout(ms)]) })
  if (addrs == null) return await dial(peer, DIAL_TIMEOUT)
  const relayed = addrs.filter(a => a.getComponents().some(c => c.name === 'p2p-circuit'))
  const direct = addrs.filter(a => !relayed.includes(a))
  const phases: Array<[Multiaddr[] | PeerId, number]> = []
  if (direct.length > 0) phases.push([direct, relayed.length > 0 ? DIRECT_DIAL_TIMEOUT : DIAL_TIMEOUT])
  if (relayed.length > 0) phases.push([relayed, DIAL_TIMEOUT])
  phases.push([peer, DIAL_TIMEOUT])
  let lastErr: any
  for (let i = 0; i < phases.length; i++) {
    const [target, ms] = phases[i]
    try {
      return await dial(target, ms)
    } catch (err: any) {
      signal.throwIfAborted()
      const noAddrs = err?.name === 'NoValidAddressesError'
      if (lastErr == null || !noAddrs) lastErr = err
      log('dialling %p (%s) failed: %s', peer, Array.isArray(target) ? target.map(a => a.toString()).join(' ') : 'peer id', err.message)
      if (noAddrs && !Array.isArray(target) && i === phases.length - 1) {
        phases.push([addrs, DIAL_TIMEOUT])
      }
    }
  }
  throw lastErr
}

/** One request of the chunk protocol, length-prefixed. */
export function requestFrame (type: ChunkRequest.Type, fileId: CID, index: number): Uint8Array {
  return lpEncode(ChunkRequest.encode({ type, fileId: fileId.bytes as Uint8Array<ArrayBuffer>, index }))
}

/** The header of the next answer on a stream. */
export async function readHeader (reader: StreamReader, signal: AbortSignal): Promise<ChunkResponse> {
  const frame = await reader.readLp(MAX_CHUNK_RESPONSE_HEADER, signal)
  if (frame == null) throw new StreamClosedError('the provider closed the stream')
  try {
    return ChunkResponse.decode(frame)
  } catch (err: any) {
    throw new ProtocolViolationError(`undecodable response header: ${err.message}`)
  }
}

/** Ask one provider for the manifest of `fileId`; it must hash to that id. */
export async function fetchManifest (node: Dialer, provider: Provider, fileId: CID, options: { signal?: AbortSignal, timeout?: number } = {}): Promise<Manifest> {
  return (await fetchManifestAndName(node, provider, fileId, options)).manifest
}

/** The manifest, and the file name the provider shares it under ('' from older nodes). */
export async function fetchManifestAndName (node: Dialer, provider: Provider, fileId: CID, options: { signal?: AbortSignal, timeout?: number } = {}): Promise<{ manifest: Manifest, name: string }> {
  const timeout = AbortSignal.timeout(options.timeout ?? MANIFEST_TIMEOUT)
  const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
  const conn = await connect(node, provider, signal)
  const stream = await conn.newStream(CHUNK_PROTOCOL, { signal, maxOutboundStreams: MAX_OUTBOUND_STREAMS })
  const reader = new StreamReader(stream)
  try {
    await sendAll(stream, requestFrame(ChunkRequest.Type.MANIFEST, fileId, 0), signal)
    const res = await readHeader(reader, signal)
    if (res.status !== ChunkResponse.Status.OK) {
      throw new ProviderResponseError(`${res.status}${res.error === '' ? '' : `: ${terminalText(res.error)}`}`, res.status)
    }
    if (res.length > MAX_MANIFEST_BYTES) throw new ProtocolViolationError(`manifest of ${res.length} bytes is too large`)
    const bytes = (await reader.readExact(res.length, signal)).subarray()
    const manifest = Manifest.decode(bytes, fileId)
    await stream.close({ signal })
    return { manifest, name: res.name }
  } catch (err: any) {
    stream.abort(err)
    throw err
  } finally {
    reader.release()
  }
}

export interface FetcherInit {
  node: Dialer
  provider: Provider
  manifest: Manifest
  scheduler: ChunkScheduler
  /** Notified after every result; waited on while there is nothing to request. */
  wakeup: Wakeup
  /** Notified when the peers fetched from change: what a peer in reserve waits on (woken by
   * every result, a reserve's streams only asked again and again for nothing). @default wakeup */
  refocus?: Wakeup
  /** A verified chunk that is the first copy: the caller writes it, tells the scheduler and
   * gives the buffer back to `buffers`. */
  onChunk: (index: number, data: Uint8Array) => void
  /** Where chunk bodies are read into. */
  buffers: BufferPool
  /** Aborted when the download ends, whatever the reason. */
  signal: AbortSignal
  /** @default STREAMS_PER_PROVIDER */
  streams?: number
  /** @default REQUESTS_PER_STREAM */
  pipeline?: number
  /** @default CHUNK_TIMEOUT */
  chunkTimeout?: number
  /** The download limit for a connection (undefined: none): chunk bytes are read off the
   * stream only as fast as it grants, so the sender is held back by what we leave unread. */
  limiter?: (connection: Connection) => RateLimiter | undefined
}

/**
 * The I/O side of one provider: one connection, `streams` streams over it, `pipeline`
 * requests in flight on each. Asks the scheduler what to fetch, verifies each chunk against
 * the manifest before handing it on, and reports every outcome back.
 */
export class ProviderFetcher {
  readonly peer: string
  private connection?: Promise<Connection>
  private lastError?: string
  private limiter?: RateLimiter
  private readonly streams: number
  private readonly pipeline: number
  private readonly chunkTimeout: number
  private readonly open = new Set<Stream>()
  /** The connection streams are opened on now. */
  private current?: Connection

  constructor (private readonly init: FetcherInit) {
    this.peer = init.provider.peerId.toString()
    this.streams = init.streams ?? STREAMS_PER_PROVIDER
    this.pipeline = init.pipeline ?? REQUESTS_PER_STREAM
    this.chunkTimeout = init.chunkTimeout ?? CHUNK_TIMEOUT
  }

  /** Runs until the download ends or this provider is of no more use; never throws. */
  async run (): Promise<void> {
    this.init.scheduler.addPeer(this.peer)
    await Promise.all(Array.from({ length: this.streams }, async () => { await this.worker() }))
    this.init.scheduler.removePeer(this.peer, this.lastError ?? 'finished')
    this.init.wakeup.notify()
  }

  private async worker (): Promise<void> {
    const { scheduler, signal } = this.init
    let openFailures = 0
    let redials = 0
    while (!signal.aborted && scheduler.isActive(this.peer)) {
      let stream: Stream
      try {
        stream = await this.openStream()
        openFailures = 0
      } catch (err: any) {
        if (signal.aborted) return
        this.lastError = `cannot open a stream: ${err.message}`
        log('%s: %s', this.peer, this.lastError)
        this.connection = undefined // redial next time
        if (++openFailures > MAX_STREAM_REOPENS) return
        continue
      }
      this.open.add(stream)
      const end = await this.runStream(stream).finally(() => this.open.delete(stream))
      if (end === 'stop') return
      if (end === 'redial') {
        this.connection = undefined
        // a provider whose connections keep closing under us is of no use
        if (++redials > MAX_STREAM_REOPENS) {
          this.lastError ??= 'its connections kept closing'
          return
        }
      }
    }
  }

  private async openStream (): Promise<Stream> {
    const { node, provider, signal } = this.init
    let conn = await this.connection
    if (conn?.status !== 'open') {
      this.connection = connect(node, provider, signal)
      this.connection.catch(() => {})
      conn = await this.connection
    }
    this.limiter = this.init.limiter?.(conn)
    this.current = conn
    return await conn.newStream(CHUNK_PROTOCOL, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(STREAM_OPEN_TIMEOUT)]),
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    })
  }

  /** Serve requests on one stream until it fails (reopen) or there is nothing more (stop). */
  private async runStream (stream: Stream): Promise<StreamEnd> {
    const { scheduler, wakeup, signal, manifest } = this.init
    // never pause: what arrives is bounded by our own pipelined requests. (Pausing is also
    // fragile: StreamReader pauses from its 'message' listener, which may run inside resume(),
    // and then yamux keeps granting window while libp2p buffers, until a StreamBufferError.)
    const reader = new StreamReader(stream, { highWater: (this.pipeline + 1) * manifest.chunkSize + MAX_CHUNK_RESPONSE_HEADER })
    const watchdog = new Watchdog(this.chunkTimeout, signal)
    const queue: number[] = []
    let answered = 0
    const failAll = (first: FailureReason, detail?: string): void => {
      queue.forEach((i, n) => { scheduler.failed(this.peer, i, n === 0 ? first : 'cancelled', detail) })
      queue.length = 0
      wakeup.notify()
    }
    try {
      while (true) {
        if (!scheduler.isActive(this.peer)) {
          failAll('cancelled')
          closeQuietly(stream)
          return 'stop'
        }
        for (let i; queue.length < this.pipeline && (i = scheduler.next(this.peer)) !== undefined;) {
          watchdog.kick() // a peer that stops reading our requests times out too
          queue.push(i)
          await sendAll(stream, requestFrame(ChunkRequest.Type.CHUNK, manifest.fileId, i), watchdog.signal)
        }
        if (queue.length === 0) {
          watchdog.disarm()
          await (scheduler.reserve.holds(this.peer) ? this.init.refocus ?? wakeup : wakeup).wait(signal)
          // an idle stream may have been closed by the server meanwhile: reopen, no penalty
          if (stream.status !== 'open' || stream.remoteWriteStatus !== 'writable') {
            closeQuietly(stream)
            return 'reopen'
          }
          continue
        }
        const index = queue[0]
        const started = Date.now()
        watchdog.kick()
        const res = await readHeader(reader, watchdog.signal)
        if (res.status !== ChunkResponse.Status.OK) {
          queue.shift()
          this.lastError = `${res.status} for chunk ${index}${res.error === '' ? '' : `: ${terminalText(res.error)}`}`
          log('%s: %s', this.peer, this.lastError)
          scheduler.failed(this.peer, index, reasonFor(res.status), this.lastError)
          answered++
          wakeup.notify()
          const end = retirementForStatus(res.status)
          if (end != null) {
            failAll('cancelled') // the server closes the stream after these
            closeQuietly(stream)
            return end
          }
          continue
        }
        const { buf, digest } = await this.readBody(reader, index, res.length, watchdog)
        queue.shift()
        answered++
        this.accept(stream, index, buf, digest, res.length, Date.now() - started)
      }
    } catch (err: any) {
      const retirement = retirementFor(err, {
        downloadEnded: signal.aborted,
        timedOut: watchdog.fired,
        answered,
        pending: queue.length,
        connectionClosed: this.current != null && this.current.status !== 'open'
      })
      if (retirement.strike) {
        this.lastError = `${retirement.reason}: ${err.message}`
        log('%s: stream failed (%s)', this.peer, this.lastError)
        failAll(retirement.reason, err.message)
      } else {
        if (retirement.note != null) log('%s: %s (%s)', this.peer, retirement.note, err.message)
        failAll('cancelled')
      }
      retire(stream, err, retirement)
      return retirement.end
    } finally {
      watchdog.disarm()
      reader.release()
    }
  }

  /** Read one chunk body into a pooled buffer (the whole buffer is returned, the body at its
   * start), hashing it as it arrives: each piece is hashed while it is still in the cache from
   * its decryption, and no other thread or copy is involved. The buffer goes back to the pool
   * on failure. */
  private async readBody (reader: StreamReader, index: number, length: number, watchdog: Watchdog): Promise<{ buf: Buffer, digest: Buffer }> {
    const { manifest, buffers } = this.init
    const expected = manifest.chunkLength(index)
    if (length !== expected) throw new ProtocolViolationError(`chunk ${index} announced ${length} bytes, expected ${expected}`)
    const buf = buffers.acquire()
    const hash = createHash('sha256')
    try {
      for (let got = 0; got < expected;) {
        // the other copy was verified first: the rest of this one is of no use
        checkWanted(this.init.scheduler.wanted(index), index)
        const piece = await reader.readSome(this.limiter?.pieceBytes(expected - got) ?? expected - got, watchdog.signal)
        if (piece == null) throw new StreamClosedError(`stream ended after ${got} of ${expected} bytes of chunk ${index}`)
        if (this.limiter != null) {
          watchdog.disarm() // waiting on our own limit is not the provider stalling
          await this.limiter.take(piece.byteLength, this.init.signal)
        }
        watchdog.kick()
        for (const part of piece) {
          buf.set(part, got)
          hash.update(part)
          got += part.byteLength
        }
      }
    } catch (err) {
      buffers.release(buf)
      throw err
    }
    return { buf, digest: hash.digest() }
  }

  /** Hand on a received chunk only when it matches the manifest. A mismatch bans the provider
   * (scheduler), resets its other streams and fails this one (the error thrown). */
  private accept (stream: Stream, index: number, buf: Buffer, digest: Buffer, length: number, ms: number): void {
    const { scheduler, wakeup, manifest, buffers, onChunk } = this.init
    try {
      if (!digest.equals(manifest.chunkHash(index))) {
        buffers.release(buf)
        const err = new ChunkHashMismatchError(`chunk ${index} from ${this.peer} does not match the manifest`)
        scheduler.failed(this.peer, index, 'bad-data', err.message)
        for (const s of this.open) if (s !== stream) s.abort(err)
        throw err
      } else if (scheduler.received(this.peer, index, length, ms)) {
        onChunk(index, buf.subarray(0, length))
      } else {
        buffers.release(buf) // a late duplicate
      }
    } finally {
      wakeup.notify()
    }
  }
}
