import * as varint from 'uint8-varint'
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
 * Send bytes and wait for the stream's write buffer to drain when `send` says so, so a fast
 * writer never queues more than one buffer ahead of the network. `send` keeps a reference to
 * the buffer: callers must not reuse it.
 */
export async function sendAll (stream: Stream, data: Uint8Array | Uint8ArrayList, signal?: AbortSignal): Promise<void> {
  if (!stream.send(data)) {
    await stream.onDrain({ signal })
  }
}

/** Encode a message with its codec and send it length-prefixed. */
export async function sendLp (stream: Stream, body: Uint8Array, signal?: AbortSignal): Promise<void> {
  await sendAll(stream, lpEncode(body), signal)
}
