import * as varint from 'uint8-varint'
import { StreamResetError } from './errors.js'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Prefix `body` with its varint length. */
export function lpEncode (body: Uint8Array): Uint8Array {
  const prefix = varint.encode(body.byteLength)
  const out = new Uint8Array(prefix.byteLength + body.byteLength)
  out.set(prefix, 0)
  out.set(body, prefix.byteLength)
  return out
}

/**
 * Send bytes and, when `send` says so, wait for the stream to drain, so a fast writer never
 * queues more than one buffer ahead of the network. `send` keeps a reference to the buffer:
 * callers must not reuse it.
 */
export async function sendAll (stream: Stream, data: Uint8Array | Uint8ArrayList, signal?: AbortSignal): Promise<void> {
  if (!stream.send(data)) await waitForDrain(stream, signal)
}

/**
 * Wait until the stream accepts more data. Not `stream.onDrain()`: in @libp2p/utils 7.4 its
 * promise is created once and never reset, so after the first drain it resolves at once and a
 * fast writer grows the write buffer until the stream aborts. Listening for `drain` holds up.
 */
export async function waitForDrain (stream: Stream, signal?: AbortSignal): Promise<void> {
  while (stream.writableNeedsDrain) {
    if (stream.writeStatus !== 'writable') throw new StreamResetError(`cannot write: the stream is ${stream.writeStatus}`)
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        stream.removeEventListener('drain', onDrain)
        stream.removeEventListener('close', onClose)
        signal?.removeEventListener('abort', onAbort)
        if (err != null) reject(err)
        else resolve()
      }
      const onDrain = (): void => { done() }
      const onClose = (): void => { done(new StreamResetError('the stream closed while waiting to write')) }
      const onAbort = (): void => { done(signal?.reason) }
      stream.addEventListener('drain', onDrain)
      stream.addEventListener('close', onClose)
      signal?.addEventListener('abort', onAbort)
    })
  }
}

/** Encode a message with its codec and send it length-prefixed. */
export async function sendLp (stream: Stream, body: Uint8Array, signal?: AbortSignal): Promise<void> {
  await sendAll(stream, lpEncode(body), signal)
}
