import { multiaddr } from '@multiformats/multiaddr'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../wire/constants.js'
import { UnexpectedEOFError } from '../wire/errors.js'
import { lpEncode, sendAll } from '../wire/framing.js'
import { IndexRequest, IndexResponse } from '../wire/index.js'
import { StreamReader } from '../wire/stream-reader.js'
import { parseFileId } from '../wire/file-id.js'
import { CLIENT_TIMEOUT, MAX_ERROR_CODE, RESPONSE_HEADROOM } from './constants.js'
import { IndexError, IndexTimeoutError, InvalidResponseError } from './errors.js'
import { parsePage, parseResults } from './decode.js'
import { readPage } from './read-page.js'
import { AnnounceFrameWriter } from './announce-frame.js'
import { terminalText } from '../util/terminal-text.js'
import type { IndexLookupResult, IndexPage } from './decode.js'
import type { AnnounceEntry } from './announce-frame.js'
import type { AbortOptions, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

export type { IndexLookupResult, IndexPage } from './decode.js'

export interface IndexClientInit {
  /** Open a new stream to the coordinator on INDEX_PROTOCOL. */
  dial: (signal: AbortSignal) => Promise<Stream>
  /** Deadline of each request/response exchange (and of the dial), whatever the caller's
   * signal says. @default CLIENT_TIMEOUT */
  timeout?: number
}

export interface AnnounceFile {
  name: string
  fileId: CID | Uint8Array
  size: number
  mtime: number
}

export interface AnnounceInput {
  /** Start a snapshot: the coordinator forgets what this node announced before. */
  replace?: boolean
  files: Iterable<AnnounceFile>
  /** Where this node can be dialled. */
  addrs?: Multiaddr[]
}

export interface PageOptions extends AbortOptions {
  cursor?: string
  limit?: number
}

export type LookupQuery = { name: string } | { fileId: CID | string }

/** The slice of a libp2p node the client needs. */
export interface Dialer {
  dialProtocol: (addr: Multiaddr, protocol: string, options?: AbortOptions) => Promise<Stream>
}

/**
 * Client of `/fileshare/index/1.0.0`, for nodes and the CLI. Calls go one at a time over one
 * stream, opened on first use and again after a failure; server errors become IndexError.
 * Every exchange has a deadline (`timeout`); an optional signal per call can cancel it sooner.
 */
export class IndexClient {
  private readonly dial: (signal: AbortSignal) => Promise<Stream>
  private readonly timeout: number
  private stream?: Stream
  private reader?: StreamReader
  private tail: Promise<unknown> = Promise.resolve()

  constructor (init: IndexClientInit) {
    this.dial = init.dial
    this.timeout = init.timeout ?? CLIENT_TIMEOUT
  }

  /** A client that dials `coordinator` (a multiaddr ending in /p2p/<peer id>) from `node`. */
  static forNode (node: Dialer, coordinator: Multiaddr | string, init: { timeout?: number } = {}): IndexClient {
    const addr = typeof coordinator === 'string' ? multiaddr(coordinator) : coordinator
    return new IndexClient({ ...init, dial: async signal => await node.dialProtocol(addr, INDEX_PROTOCOL, { signal }) })
  }

  /**
   * Announce files, in frames under MAX_INDEX_FRAME: the first carries `replace` and the
   * addresses, the rest add to it. Each file is written into the frame as it is read and never
   * kept, so `files` may hand over one object again with new values. Returns how many entries
   * the coordinator accepted.
   */
  async announce (input: AnnounceInput, options: AbortOptions = {}): Promise<{ accepted: number, batches: number }> {
    const signal = options.signal
    const addrs = (input.addrs ?? []).map(a => a.bytes)
    const frames = new AnnounceFrameWriter(MAX_INDEX_FRAME - RESPONSE_HEADROOM)
    let accepted = 0
    let batches = 0
    const flush = async (): Promise<void> => {
      accepted += (await this.call(frames.finish(), okResponse, signal)).accepted
      batches++
      frames.start(false, [])
    }
    frames.start(input.replace === true, addrs)
    for (const f of input.files) {
      const entry = f.fileId instanceof Uint8Array ? f as AnnounceEntry : { ...f, fileId: f.fileId.bytes }
      if (!frames.add(entry)) {
        await flush()
        frames.add(entry)
      }
    }
    if (frames.entries > 0 || batches === 0) await flush()
    return { accepted, batches }
  }

  /** Withdraw names this node no longer shares; returns how many the coordinator had. */
  async withdraw (names: Iterable<string>, options: AbortOptions = {}): Promise<{ removed: number }> {
    const signal = options.signal
    let removed = 0
    let batch: string[] = []
    let used = 0
    const flush = async (): Promise<void> => {
      removed += (await this.call(requestFrame({ type: IndexRequest.Type.WITHDRAW, names: batch }), okResponse, signal)).accepted
      batch = []
      used = 0
    }
    for (const name of names) {
      const cost = Buffer.byteLength(name) + 4
      if (used + cost > MAX_INDEX_FRAME - RESPONSE_HEADROOM && batch.length > 0) await flush()
      batch.push(name)
      used += cost
    }
    if (batch.length > 0) await flush()
    return { removed }
  }

  /** One page of the index in name order; `prefix` keeps the names that start with it. */
  async list (options: PageOptions & { prefix?: string } = {}): Promise<IndexPage> {
    return await this.call(requestFrame({
      type: IndexRequest.Type.LIST, cursor: options.cursor, limit: options.limit, query: options.prefix
    }), readPageAnswer, options.signal)
  }

  /** Every page of the index, fetched as the caller iterates. */
  async * listAll (options: Omit<PageOptions, 'cursor'> & { prefix?: string } = {}): AsyncGenerator<IndexPage> {
    let cursor: string | undefined
    do {
      const page = await this.list({ ...options, cursor })
      yield page
      cursor = page.nextCursor
    } while (cursor != null)
  }

  /** One page of the entries whose name has every word of `text`. */
  async search (text: string, options: PageOptions = {}): Promise<IndexPage> {
    return await this.call(requestFrame({
      type: IndexRequest.Type.SEARCH, query: text, cursor: options.cursor, limit: options.limit
    }), readPageAnswer, options.signal)
  }

  async * searchAll (text: string, options: Omit<PageOptions, 'cursor'> = {}): AsyncGenerator<IndexPage> {
    let cursor: string | undefined
    do {
      const page = await this.search(text, { ...options, cursor })
      yield page
      cursor = page.nextCursor
    } while (cursor != null)
  }

  /** Providers of a name or a file id, grouped by file id. */
  async lookup (query: LookupQuery, options: AbortOptions = {}): Promise<IndexLookupResult[]> {
    const req: Partial<IndexRequest> = { type: IndexRequest.Type.LOOKUP }
    if ('fileId' in query) req.fileId = parseFileId(typeof query.fileId === 'string' ? query.fileId : query.fileId.bytes).bytes as Uint8Array<ArrayBuffer>
    else req.query = query.name
    return await this.call(requestFrame(req), bytes => parseResults(okResponse(bytes)), options.signal)
  }

  /** Close the open stream, if any. */
  async close (): Promise<void> {
    const stream = this.stream
    this.reader?.release()
    this.stream = undefined
    this.reader = undefined
    if (stream != null) {
      try { await stream.close({ signal: AbortSignal.timeout(1000) }) } catch (err: any) { stream.abort(err) }
    }
  }

  /** One request/response pair, after the calls before it: `frame` is the request's
   * length-prefixed frame; `read` turns the answer's bytes into what the caller gets (an ERROR
   * answer into an IndexError). */
  private async call<T> (frame: Uint8Array, read: (bytes: Uint8Array) => T, caller?: AbortSignal): Promise<T> {
    // the deadline starts when the call's turn comes, so a long snapshot ahead does not eat it
    const run = async (): Promise<T> => {
      const timeout = AbortSignal.timeout(this.timeout)
      return await this.exchange(frame, read, caller == null ? timeout : AbortSignal.any([caller, timeout]))
    }
    const result = this.tail.then(run, run)
    this.tail = result.catch(() => {})
    return await result
  }

  private async exchange<T> (frame: Uint8Array, read: (bytes: Uint8Array) => T, signal: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const reused = this.stream != null
      try {
        signal.throwIfAborted()
        if (this.stream == null || this.reader == null) {
          this.stream = await this.dial(signal)
          this.reader = new StreamReader(this.stream, { highWater: MAX_INDEX_FRAME })
        }
        await sendAll(this.stream, frame, signal)
        const answer = await this.reader.readLp(MAX_INDEX_FRAME, signal)
        if (answer == null) throw new UnexpectedEOFError('the coordinator closed the stream')
        return read(answer.subarray())
      } catch (err: any) {
        if (err instanceof IndexError) {
          // after some errors (a frame it could not read) the coordinator closes the stream
          this.drop()
          throw err
        }
        this.drop(err)
        if (err instanceof InvalidResponseError) throw err
        if (signal.aborted) {
          if (signal.reason?.name === 'TimeoutError') throw new IndexTimeoutError(`no answer from the coordinator within ${this.timeout} ms`)
          throw signal.reason ?? err
        }
        // a kept stream may have been closed by the coordinator's idle timeout: retry once
        if (!reused || attempt > 0) throw err
      }
    }
  }

  /** Forget the stream: reset it after a failure, else close it in the background. */
  private drop (err?: Error): void {
    const stream = this.stream
    this.reader?.release()
    this.stream = undefined
    this.reader = undefined
    if (stream == null) return
    if (err != null) { stream.abort(err); return }
    stream.close({ signal: AbortSignal.timeout(1000) }).catch((e: Error) => { stream.abort(e) })
  }
}

/** A request's length-prefixed frame, encoded by protons. */
function requestFrame (req: Partial<IndexRequest>): Uint8Array {
  return lpEncode(IndexRequest.encode(req))
}

/** A LIST/SEARCH answer: read straight into the page, or through the generated decoder when it
 * is anything but a plain OK page (an ERROR among them). */
function readPageAnswer (bytes: Uint8Array): IndexPage {
  return readPage(bytes) ?? parsePage(okResponse(bytes))
}

/** Any answer, decoded; an ERROR becomes an IndexError with the coordinator's words. */
function okResponse (bytes: Uint8Array): IndexResponse {
  let res: IndexResponse
  try {
    res = IndexResponse.decode(bytes)
  } catch (err: any) {
    throw new InvalidResponseError(`malformed response from the coordinator: ${err.message}`)
  }
  if (res.status === IndexResponse.Status.ERROR) {
    // the coordinator's words are printed to the user: no escapes, bounded
    const code = terminalText(res.code, MAX_ERROR_CODE)
    throw new IndexError(code, res.error !== '' ? terminalText(res.error) : code)
  }
  return res
}
