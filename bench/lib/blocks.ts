import { randomFillSync } from 'node:crypto'
import { KiB } from './units.js'

/** Size of each send() in the libp2p baseline (larger sends did not help it; see the notes). */
export const SEND_BLOCK = 256 * KiB
/** Size of each write() in the raw TCP baseline: 1 MiB+ writes ran ~1.5-2x faster than 256 KiB
 * here, and this case is the machine's limit, so it gets the faster setting. */
export const TCP_SEND_BLOCK = 1024 * KiB
/** The request a baseline client sends: how many bytes it wants, as a big-endian uint64. */
export const REQUEST_BYTES = 8

/** One random block, generated once and sent over and over (never modified after). */
export function randomBlock (size = SEND_BLOCK): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size))
}

export function encodeRequest (bytes: number): Buffer {
  const b = Buffer.alloc(REQUEST_BYTES)
  b.writeBigUInt64BE(BigInt(bytes))
  return b
}

export function decodeRequest (b: Uint8Array): number {
  return Number(Buffer.from(b.buffer, b.byteOffset, REQUEST_BYTES).readBigUInt64BE())
}
