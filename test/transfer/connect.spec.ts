import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { connect } from '../../src/transfer/fetcher.js'
import type { Dialer } from '../../src/transfer/fetcher.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'

async function newPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A dialer that records what it was asked to dial and fails address dials: connect then
 * reaches the peer-id fallback, which answers as the provider. */
function recorder (provider: PeerId): { node: Dialer, dialled: string[][] } {
  const dialled: string[][] = []
  const node = {
    dial: async (target: Multiaddr[] | PeerId) => {
      if (Array.isArray(target)) {
        dialled.push(target.map(a => a.toString()))
        throw Object.assign(new Error('refused'), { name: 'DialError' })
      }
      return { remotePeer: provider } as any
    }
  } as unknown as Dialer
  return { node, dialled }
}

describe('transfer: the addresses a download dials', () => {
  it('keeps a relayed address (the relay\'s id, /p2p-circuit, the provider\'s id) and dials it after the direct ones', async () => {
    const [provider, relay] = [await newPeer(), await newPeer()]
    const direct = `/ip4/10.1.0.2/tcp/4001/p2p/${provider.toString()}`
    const relayed = `/ip4/7.0.0.1/tcp/7870/p2p/${relay.toString()}/p2p-circuit/p2p/${provider.toString()}`
    const { node, dialled } = recorder(provider)
    await connect(node, { peerId: provider, addrs: [multiaddr(direct), multiaddr(relayed)] }, AbortSignal.timeout(5_000))
    assert.deepEqual(dialled[0], [direct])
    assert.deepEqual(dialled[1], [relayed], 'the relayed address was dropped')
  })

  it('adds the provider\'s id to addresses without one, relayed ones included, and drops addresses of another peer', async () => {
    const [provider, relay, other] = [await newPeer(), await newPeer(), await newPeer()]
    const { node, dialled } = recorder(provider)
    await connect(node, {
      peerId: provider,
      addrs: [
        multiaddr('/ip4/10.1.0.2/tcp/4001'),
        multiaddr(`/ip4/10.1.0.3/tcp/4001/p2p/${other.toString()}`),
        multiaddr(`/ip4/7.0.0.1/tcp/7870/p2p/${relay.toString()}/p2p-circuit`)
      ]
    }, AbortSignal.timeout(5_000))
    assert.deepEqual(dialled.slice(0, 2), [
      [`/ip4/10.1.0.2/tcp/4001/p2p/${provider.toString()}`],
      [`/ip4/7.0.0.1/tcp/7870/p2p/${relay.toString()}/p2p-circuit/p2p/${provider.toString()}`]
    ])
    assert.ok(!dialled.flat().some(a => a.includes(other.toString())), 'an address of another peer was dialled')
  })
})
