import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'

/** Streams a hostile host may open on one connection (yamux allows 1000 by default). */
const HOSTILE_MAX_STREAMS = 10_000

/**
 * A bare libp2p host that ignores fsnode's own limits: it opens as many streams as it likes
 * and registers no protocol. Stands in for a peer running modified software.
 */
export async function hostileHost (defer: (fn: () => Promise<void>) => void): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxOutboundStreams: HOSTILE_MAX_STREAMS, maxInboundStreams: HOSTILE_MAX_STREAMS })]
  })
  defer(async () => { await node.stop() })
  return node
}

/**
 * A bare libp2p host whose connections come from `localAddress` (any 127.x.y.z is loopback on
 * Linux): a peer on another address than the hosts listening on 127.0.0.1. It can dial and
 * download; it registers no protocol.
 */
export async function hostFrom (localAddress: string, defer: (fn: () => Promise<void>) => void): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    // dialOpts reach net.connect; localAddress is one of its options, not in libp2p's type
    transports: [tcp({ dialOpts: { localAddress } as any })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  defer(async () => { await node.stop() })
  return node
}

/** Sample `fn` every few ms while `work` runs; returns the largest value seen. */
export async function peakDuring (fn: () => number, work: Promise<unknown>): Promise<number> {
  let peak = fn()
  let running = true
  void work.finally(() => { running = false }).catch(() => {})
  while (running) {
    peak = Math.max(peak, fn())
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  return Math.max(peak, fn())
}
