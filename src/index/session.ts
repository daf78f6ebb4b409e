import { StreamReader } from '../wire/stream-reader.js'
import { lpEncode, sendAll, sendLp } from '../wire/framing.js'
import { MAX_INDEX_FRAME } from '../wire/constants.js'
import { FrameTooLargeError, InvalidMessageError } from '../wire/errors.js'
import { IndexRequest, IndexResponse } from '../wire/index.js'
import { ErrorCode, IdleTimeoutError, IndexError, NotStartedError, ResponseTimeoutError } from './errors.js'
import { dispatch, errorResponse } from './rpc.js'
import { EncodedResponse } from './encoded.js'
import type { HandlerContext } from './rpc.js'
import type { Stream } from '@libp2p/interface'

export interface SessionOptions {
  idleTimeout: number
  responseTimeout: number
  closeTimeout: number
  /** Aborted when the service stops. */
  shutdown: AbortSignal
}

/**
 * Serve one inbound stream: request/response pairs until the remote closes its side. A frame
 * that cannot be read or decoded gets one ERROR response, then the stream is closed; a stream
 * idle for longer than `idleTimeout` is aborted. Never throws.
 */
export async function serveStream (stream: Stream, ctx: HandlerContext, opts: SessionOptions): Promise<void> {
  const reader = new StreamReader(stream, { highWater: MAX_INDEX_FRAME })
  // the wait for the next request: a plain timer, cleared when the request comes (and one
  // shutdown listener per stream); AbortSignal.timeout() and .any() per request left two
  // timers per request pending for 10-30 s, each then firing with a DOMException: a few per
  // cent of a coordinator's CPU while answering searches one after another
  let idle: AbortController | undefined
  const onShutdown = (): void => { idle?.abort(opts.shutdown.reason) }
  opts.shutdown.addEventListener('abort', onShutdown)
  try {
    while (true) {
      if (opts.shutdown.aborted) { stream.abort(new NotStartedError('the coordinator is stopping')); return }
      const waiting = new AbortController()
      idle = waiting
      const timer = setTimeout(() => { waiting.abort(new IdleTimeoutError(`no request for ${opts.idleTimeout} ms`)) }, opts.idleTimeout)
      let frame
      try {
        frame = await reader.readLp(MAX_INDEX_FRAME, waiting.signal)
      } catch (err: any) {
        if (err instanceof FrameTooLargeError) return await refuse(stream, new IndexError(ErrorCode.TOO_LARGE, err.message), opts)
        if (err instanceof InvalidMessageError) return await refuse(stream, new IndexError(ErrorCode.BAD_REQUEST, err.message), opts)
        if (waiting.signal.aborted) {
          ctx.log('%s: stream idle, aborting', ctx.peerId)
          stream.abort(new IdleTimeoutError(`no request for ${opts.idleTimeout} ms`))
          return
        }
        throw err
      } finally {
        clearTimeout(timer)
        idle = undefined
      }
      if (frame == null) {
        await stream.close({ signal: AbortSignal.timeout(opts.closeTimeout) })
        return
      }
      let req: IndexRequest
      try {
        req = IndexRequest.decode(frame)
      } catch (err: any) {
        return await refuse(stream, new IndexError(ErrorCode.BAD_REQUEST, `malformed request: ${err.message}`), opts)
      }
      const t0 = performance.now()
      const res = dispatch(req, ctx)
      const failed = !(res instanceof EncodedResponse) && res.error != null && res.error !== ''
      ctx.observe?.(String(req.type), (performance.now() - t0) / 1000, failed ? 'error' : 'ok')
      const bytes = res instanceof EncodedResponse ? res.frame : lpEncode(IndexResponse.encode(res))
      await sendResponse(stream, bytes, opts.responseTimeout)
    }
  } catch (err: any) {
    ctx.log('%s: index stream failed: %s', ctx.peerId, err.message)
    stream.abort(err)
  } finally {
    opts.shutdown.removeEventListener('abort', onShutdown)
    reader.release()
  }
}

/** Send one length-prefixed response within `timeoutMs` (a timer cleared once it is sent, see
 * serveStream). */
async function sendResponse (stream: Stream, frame: Uint8Array, timeoutMs: number): Promise<void> {
  const sending = new AbortController()
  const timer = setTimeout(() => { sending.abort(new ResponseTimeoutError(`response not sent within ${timeoutMs} ms`)) }, timeoutMs)
  try {
    await sendAll(stream, frame, sending.signal)
  } finally {
    clearTimeout(timer)
  }
}

/** Answer a request that cannot be read with one ERROR, then close: the stream is out of sync. */
async function refuse (stream: Stream, err: IndexError, opts: SessionOptions): Promise<void> {
  const signal = AbortSignal.timeout(opts.closeTimeout)
  try {
    await sendLp(stream, IndexResponse.encode(errorResponse(err)), signal)
    await stream.close({ signal })
    // whatever the remote still sends (the rest of an oversized frame) is dropped unread
    await stream.closeRead({ signal })
  } catch (e: any) {
    stream.abort(e)
  }
}
