// How a chunk stream ends: the policy (what a failure or a refusal means for the stream, the
// requests queued on it and the provider) apart from the fetcher's stream I/O.
import { ChunkResponse } from '../wire/chunk.js'
import { STREAM_OPEN_TIMEOUT } from './constants.js'
import { ChunkHashMismatchError, ChunkSupersededError, ProtocolViolationError } from './errors.js'
import type { FailureReason } from './scheduler.js'
import type { Stream } from '@libp2p/interface'

/** 'reopen': the provider is still of use on a fresh stream; 'redial': the same, on a fresh
 * connection (the one the stream was on closed); 'stop': this stream slot is done. */
export type StreamEnd = 'stop' | 'reopen' | 'redial'

export interface Retirement {
  end: StreamEnd
  /** Reported for the first queued request; the others are 'cancelled'. */
  reason: FailureReason
  /** Reset the stream (answers still under way) rather than close it after what is queued. */
  reset: boolean
  /** A failure the provider is blamed for (becomes its last error). */
  strike: boolean
  /** Why, for the log. */
  note?: string
}

export interface StreamState {
  /** The download ended (its signal aborted). */
  downloadEnded: boolean
  /** The stream's watchdog fired: the provider stalled. */
  timedOut: boolean
  /** Answers read on this stream so far. */
  answered: number
  /** Requests sent and not yet answered. */
  pending: number
  /** The connection the stream was on is no longer open. */
  connectionClosed?: boolean
}

/** What a stream's failure `err` means, given where the stream was. */
export function retirementFor (err: unknown, state: StreamState): Retirement {
  if (state.downloadEnded) {
    // close an idle stream politely, reset one with answers under way
    return { end: 'stop', reason: 'cancelled', reset: state.pending > 0, strike: false }
  }
  if (err instanceof ChunkSupersededError) {
    // the rest of a chunk another provider delivered first: drop it with the stream, no strike
    return { end: 'reopen', reason: 'cancelled', reset: true, strike: false, note: 'dropping the stream' }
  }
  if (state.connectionClosed === true && !state.timedOut) {
    // the connection went, not the provider: a relayed one closed once DCUtR made a direct
    // one, or a relay's limits ended it. Its streams were reset with it; try a fresh one
    return { end: 'redial', reason: 'cancelled', reset: true, strike: false, note: 'the connection closed; redialling' }
  }
  const reason: FailureReason = state.timedOut
    ? 'timeout'
    : err instanceof ChunkHashMismatchError || err instanceof ProtocolViolationError ? 'bad-data' : 'error'
  if (reason === 'error' && state.answered === 0) {
    // reset before any answer: most likely the provider's limit on streams per connection
    // (libp2p negotiates, then resets the extra stream). Give up this slot, no strike.
    return { end: 'stop', reason: 'cancelled', reset: true, strike: false, note: 'stream reset before any answer; using fewer streams' }
  }
  return { end: 'reopen', reason, reset: true, strike: true }
}

/** A refusal the server closes the stream after, and what to do then; undefined: the stream
 * goes on. */
export function retirementForStatus (status: ChunkResponse.Status): StreamEnd | undefined {
  if (status === ChunkResponse.Status.BUSY) return 'stop'
  if (status === ChunkResponse.Status.BAD_REQUEST) return 'reopen'
  return undefined
}

/** The scheduler's failure reason for a refusal. */
export function reasonFor (status: ChunkResponse.Status): FailureReason {
  switch (status) {
    case ChunkResponse.Status.NOT_FOUND: return 'not-found'
    case ChunkResponse.Status.CHANGED: return 'changed'
    case ChunkResponse.Status.OUT_OF_RANGE: return 'bad-data' // it serves another manifest than the id says
    case ChunkResponse.Status.BUSY: return 'busy'
    default: return 'error'
  }
}

/** Throws ChunkSupersededError once the chunk being read is no longer wanted. */
export function checkWanted (wanted: boolean, index: number): void {
  if (!wanted) throw new ChunkSupersededError(`chunk ${index} arrived from another provider first`)
}

/** Close after what is queued; reset if that fails or takes longer than STREAM_OPEN_TIMEOUT. */
export function closeQuietly (stream: Stream): void {
  stream.close({ signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT) }).catch((err: Error) => { stream.abort(err) })
}

/** End a stream as `retirement` says. */
export function retire (stream: Stream, err: Error, retirement: Retirement): void {
  if (retirement.reset) stream.abort(err)
  else closeQuietly(stream)
}
