// The bare libp2p stack for the baseline: the same TCP, Noise and yamux packages (and versions)
// as fsnode, no fsnode code. Only libp2p is imported here, so the baseline keeps working
// whatever state src/ is in.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import type { Libp2p, Stream, StreamCloseEvent } from '@libp2p/interface'
import { MiB } from './units.js'

export const BENCH_PROTOCOL = '/fsnode-bench/stream/1.0.0'
export const LISTEN_LOCAL = '/ip4/127.0.0.1/tcp/0'
/** Enough for the 8-stream variant (the default is 32 inbound streams per protocol). */
export const MAX_BENCH_STREAMS = 64

/** fsnode's yamux settings, copied from src/host/constants.ts (MAX_STREAM_WINDOW, MAX_READ_BUFFER,
 * MAX_WRITE_BUFFER). Keep them in step. */
export const YAMUX_MAX_STREAM_WINDOW = 4 * MiB
export const YAMUX_MAX_READ_BUFFER = 8 * MiB
export const YAMUX_MAX_WRITE_BUFFER = 16 * MiB

export interface BareHostInit {
  listen?: string[]
  /** yamux maxStreamWindowSize; yamux 8 reads it from streamOptions (a top-level value is ignored). */
  window?: number
  /** Noise's cipher implementation; the baseline is noise's default. */
  noiseCrypto?: ICryptoInterface
}

/** `--noise fsnode` in the scripts: fsnode's noise cipher (src/host/noise-crypto.ts), loaded only
 * then, so the stock baseline imports no fsnode code. */
export async function noiseCryptoArg (value: string | undefined): Promise<ICryptoInterface | undefined> {
  if (value == null || value === 'default') return undefined
  if (value !== 'fsnode') throw new Error(`--noise ${value}: expected default or fsnode`)
  return (await import('../../src/host/noise-crypto.js')).noiseCrypto
}

export async function createBareHost (init: BareHostInit = {}): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: init.listen ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: init.noiseCrypto })],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: init.window ?? YAMUX_MAX_STREAM_WINDOW,
        maxReadBufferLength: YAMUX_MAX_READ_BUFFER,
        maxWriteBufferLength: YAMUX_MAX_WRITE_BUFFER
      }
    })]
  })
}

/** Unsent bytes a sender lets a stream queue before it waits. */
export const WRITE_HIGH_WATER = 256 * 1024

/**
 * send() with backpressure that holds. In @libp2p/utils 7.4.1 `stream.onDrain()` hands out one
 * promise per stream and never replaces it once resolved: after the first 'drain' every later
 * onDrain() resolves at once, so `if (!send(buf)) await onDrain()` stops waiting and the write
 * buffer grows until maxWriteBufferLength aborts the stream ("Write buffer length of 17039360
 * exceeded limit of 16777216", seen ~20 MB into a transfer); a loop that awaits onDrain() until
 * the buffer shrinks spins in microtasks and never lets the socket write. So: wait for the next
 * 'drain' event itself, until the queued bytes are below a high-water mark.
 */
export async function sendBounded (stream: Stream, data: Uint8Array, highWater = WRITE_HIGH_WATER): Promise<void> {
  stream.send(data)
  while (stream.writeBufferLength > highWater) {
    if (stream.writeStatus !== 'writable') throw new Error(`stream ${stream.status} with ${stream.writeBufferLength} bytes unsent`)
    await nextDrain(stream)
  }
}

/** The next 'drain' event (or a turn of the event loop if a send is already scheduled). */
async function nextDrain (stream: Stream): Promise<void> {
  if (!stream.writableNeedsDrain) {
    await new Promise(resolve => setImmediate(resolve))
    return
  }
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => { stream.removeEventListener('close', onClose); resolve() }
    const onClose = (evt: StreamCloseEvent): void => {
      stream.removeEventListener('drain', onDrain)
      reject(evt.error ?? new Error('stream closed while waiting to send'))
    }
    stream.addEventListener('drain', onDrain, { once: true })
    stream.addEventListener('close', onClose, { once: true })
  })
}
