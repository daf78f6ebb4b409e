import { Uint8ArrayList } from 'uint8arraylist'
import * as varint from 'uint8-varint'
import { sendAll } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import type { Connection, Stream } from '@libp2p/interface'

/** How a raw exchange ended. */
export type Ending = 'closed' | 'reset' | 'hung' | 'refused'

export interface RawResult {
  ending: Ending
  /** Everything the remote sent before the end. */
  received: Uint8Array
  error?: string
}

export interface RawOptions {
  /** How long the remote may take to end the stream after we half-closed. */
  deadline: number
  /** Keep our side open instead of half-closing after the bytes. */
  keepOpen?: boolean
}

/**
 * Open a stream on `conn`, send `bytes`, half-close, and collect whatever comes back until the
 * remote ends or resets the stream. 'hung' means the remote did neither within the deadline.
 */
export async function rawExchange (conn: Connection, protocol: string, bytes: Uint8Array, opts: RawOptions): Promise<RawResult> {
  const signal = AbortSignal.timeout(opts.deadline)
  let stream: Stream
  try {
    stream = await conn.newStream(protocol, { signal, maxOutboundStreams: 10_000 })
  } catch (err: any) {
    return { ending: 'refused', received: new Uint8Array(0), error: `${err.name}: ${err.message}` }
  }
  const reader = new StreamReader(stream, { highWater: 64 * 1024 * 1024 })
  const received = new Uint8ArrayList()
  // once the remote has ended the stream, stop waiting to send the rest
  const readDone = new AbortController()
  // reading runs alongside writing: a server may answer (and close) before it read everything
  const reading = (async (): Promise<RawResult> => {
    try {
      for (let piece; (piece = await reader.readSome(1 << 20, signal)) != null;) received.append(piece)
      return { ending: 'closed', received: received.subarray() }
    } catch (err: any) {
      if (signal.aborted) return { ending: 'hung', received: received.subarray(), error: 'no end within the deadline' }
      return { ending: 'reset', received: received.subarray(), error: `${err.name}: ${err.message}` }
    }
  })().finally(() => { readDone.abort() })
  try {
    if (bytes.byteLength > 0) await sendAll(stream, bytes, AbortSignal.any([signal, readDone.signal]))
    if (opts.keepOpen !== true) await stream.close({ signal })
  } catch {} // the remote may have given up on us first; what it sent still counts
  const result = await reading
  reader.release()
  if (result.ending === 'hung') stream.abort(new Error('fuzz case hung'))
  else if (stream.status !== 'closed') stream.abort(new Error('done'))
  return result
}

/** Split `bytes` into varint length-prefixed frames; a trailing partial frame is returned apart. */
export function splitFrames (bytes: Uint8Array): { frames: Uint8Array[], rest: Uint8Array } {
  const frames: Uint8Array[] = []
  let off = 0
  while (off < bytes.byteLength) {
    let len: number
    try {
      len = varint.decode(bytes, off)
    } catch {
      break
    }
    const start = off + varint.encodingLength(len)
    if (start + len > bytes.byteLength) break
    frames.push(bytes.subarray(start, start + len))
    off = start + len
  }
  return { frames, rest: bytes.subarray(off) }
}

export { sleep, until } from '../../kit/wait.js'
