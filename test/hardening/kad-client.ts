// A raw kad-dht client for the tests: hand-made ADD_PROVIDER / GET_PROVIDERS / PING messages on
// fsnode's DHT protocol, so a test can flood a node the way modified software would.
import { randomBytes } from 'node:crypto'
import { pbStream } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { KAD_PROTOCOL } from '../../src/wire/constants.js'
import { Message, MessageType } from './kad.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const RAW = 0x55
const SHA2_256 = 0x12
/** ADD_PROVIDER messages written before a PING waits for the target to catch up: keeps the
 * target's read buffer (4 MiB per stream) far from overflowing. */
export const FLOOD_BATCH = 500

/** A CID of random bytes (a file id nobody shares). */
export function randomCid (): CID {
  return CID.createV1(RAW, Digest.create(SHA2_256, randomBytes(32)))
}

export interface FloodOptions {
  /** Streams used side by side (kad-dht handles the messages of one stream in turn). */
  streams?: number
  signal: AbortSignal
  /** Called after each batch, with the messages sent so far. */
  progress?: (sent: number) => void
  /** Send PINGs instead (same count, nothing stored): what message handling alone costs. */
  pingOnly?: boolean
  /** When the target resets a stream, open another and go on with the next batch (a flooder
   * that does not give up); otherwise the reset is thrown. */
  persist?: boolean
}

export interface FloodResult {
  /** Batches the target handled to the end (their PING was answered). */
  handled: number
  /** Messages in batches whose stream the target reset. */
  refused: number
  /** Messages never sent because the target closed the connection and refused a new one. */
  denied: number
}

/**
 * `from` tells `target` "I provide <cid>" for every cid, as ADD_PROVIDER messages in batches,
 * each batch followed by a PING: its answer means the target handled the batch.
 */
export async function addProviders (from: Libp2p, target: Multiaddr, cids: CID[], opts: FloodOptions): Promise<FloodResult> {
  let conn = await from.dial(target, { signal: opts.signal })
  const me = {
    id: from.peerId.toMultihash().bytes,
    multiaddrs: [from.getMultiaddrs()[0]?.bytes ?? target.bytes]
  }
  const streams = Math.max(1, opts.streams ?? 1)
  const result: FloodResult = { handled: 0, refused: 0, denied: 0 }
  let next = 0
  let sent = 0
  /** A new stream; with `persist`, on a new connection if the target closed ours (undefined when
   * it refuses one). */
  const open = async (): Promise<Stream | undefined> => {
    try {
      return await conn.newStream(KAD_PROTOCOL, { signal: opts.signal })
    } catch (err) {
      if (opts.persist !== true || opts.signal.aborted) throw err
    }
    try {
      // the same connection if it is still usable, otherwise a new one
      conn = await from.dial(target, { signal: opts.signal })
      return await conn.newStream(KAD_PROTOCOL, { signal: opts.signal })
    } catch (err) {
      if (opts.signal.aborted) throw err
      return undefined
    }
  }
  await Promise.all(Array.from({ length: streams }, async () => {
    while (next < cids.length) {
      const stream = await open()
      if (stream == null) {
        // cut off: the flooder gives up what is left
        result.denied += cids.length - next
        sent += cids.length - next
        next = cids.length
        opts.progress?.(sent)
        break
      }
      const pb = pbStream(stream).pb(Message)
      let batch: CID[] = []
      try {
        while (next < cids.length) {
          batch = cids.slice(next, next + FLOOD_BATCH)
          next += batch.length
          if (opts.pingOnly === true) {
            await pb.writeV(batch.map(() => ({ type: MessageType.PING, closer: [], providers: [] })), { signal: opts.signal })
            for (let i = 0; i < batch.length; i++) await pb.read({ signal: opts.signal })
          } else {
            await pb.writeV(batch.map(cid => ({ type: MessageType.ADD_PROVIDER, key: cid.multihash.bytes, closer: [], providers: [me] })), { signal: opts.signal })
          }
          await pb.write({ type: MessageType.PING, closer: [], providers: [] }, { signal: opts.signal })
          const answer = await pb.read({ signal: opts.signal })
          if (answer.type !== MessageType.PING) throw new Error(`expected a PING answer, got ${answer.type}`)
          result.handled += batch.length
          sent += batch.length
          opts.progress?.(sent)
        }
        await stream.close({ signal: opts.signal })
      } catch (err) {
        stream.abort(err as Error)
        if (opts.persist !== true || opts.signal.aborted) throw err
        result.refused += batch.length
        sent += batch.length
        opts.progress?.(sent)
      }
    }
  }))
  return result
}

export interface ProvidersAnswer {
  providers: PeerId[]
  ms: number
}

/** Ask `target` alone (no DHT walk) which providers it holds for `cid`, and how long it took. */
export async function getProviders (from: Libp2p, target: Multiaddr, cid: CID, signal: AbortSignal): Promise<ProvidersAnswer> {
  const conn = await from.dial(target, { signal })
  const started = performance.now()
  const stream = await conn.newStream(KAD_PROTOCOL, { signal })
  try {
    const pb = pbStream(stream).pb(Message)
    await pb.write({ type: MessageType.GET_PROVIDERS, key: cid.multihash.bytes, closer: [], providers: [] }, { signal })
    const answer = await pb.read({ signal })
    const ms = performance.now() - started
    await stream.close({ signal })
    return { providers: answer.providers.map(p => peerIdFromMultihash(Digest.decode(p.id))), ms }
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
