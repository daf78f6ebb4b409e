import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ProviderRecords } from '../../src/host/provider-records.js'
import { LOOKUP_GROW_WAIT, LOOKUP_WALKS } from '../../src/host/constants.js'
import { fileIdOf } from './helpers.js'
import type { ProviderDht } from '../../src/host/provider-records.js'
import type { PeerId } from '@libp2p/interface'

type Walk = Array<'error' | 'answer' | 'provider' | 'meet' | 'offer'>

/** A DHT whose walks go as scripted, one script per call of findProviders. */
function scriptedDht (walks: Walk[], provider: PeerId, asked: PeerId, other: PeerId): ProviderDht & { calls: number } {
  const table = Object.assign(new EventTarget(), { size: 1 })
  const dht = {
    calls: 0,
    routingTable: table,
    async * findProviders () {
      const walk = walks[dht.calls++] ?? []
      for (const step of walk) {
        yield { name: 'SEND_QUERY', to: asked }
        if (step === 'error') yield { name: 'QUERY_ERROR', error: new Error('stream reset') }
        if (step === 'answer') yield { name: 'PEER_RESPONSE', closer: [], providers: [] }
        if (step === 'provider') yield { name: 'PROVIDER', providers: [{ id: provider, multiaddrs: [] }] }
        if (step === 'meet') { table.size += 5; yield { name: 'PEER_RESPONSE', closer: [], providers: [] } }
        // the peer asked names another (farther from the id than itself, so the walk skips it)
        if (step === 'offer') yield { name: 'PEER_RESPONSE', closer: [{ id: other, multiaddrs: [] }], providers: [] }
      }
    },
    async provide () {},
    async cancelReprovide () {}
  }
  return dht as any
}

describe('host/provider-records: a lookup that found nothing', function () {
  let self: PeerId
  let provider: PeerId
  let asked: PeerId
  let other: PeerId
  before(async () => {
    [self, provider, asked, other] = await Promise.all([1, 2, 3, 4].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  })
  const scripted = (walks: Walk[]): ReturnType<typeof scriptedDht> => scriptedDht(walks, provider, asked, other)

  async function find (dht: ProviderDht): Promise<string[]> {
    const records = new ProviderRecords(dht, self)
    const found = await records.findProviders(await fileIdOf('x'), { signal: AbortSignal.timeout(10_000) })
    return found.map(p => p.peerId.toString())
  }

  it('is walked again, and finds the provider the second walk reaches', async () => {
    const dht = scripted([['error'], ['provider']])
    assert.deepEqual(await find(dht), [provider.toString()])
    assert.equal(dht.calls, 2)
  })

  it(`gives up after ${LOOKUP_WALKS} walks that all failed`, async () => {
    const dht = scripted(Array.from({ length: 10 }, () => ['error']))
    assert.deepEqual(await find(dht), [])
    assert.equal(dht.calls, LOOKUP_WALKS)
  })

  it('is not walked again when the peers it asked answered no provider and the routing table stays', async () => {
    const short = scripted([['error', 'answer'], ['provider']])
    assert.deepEqual(await find(short), []) // waits LOOKUP_GROW_WAIT for a peer that never comes
    assert.equal(short.calls, 1)
    const long = scripted([['answer', 'answer', 'answer'], ['provider']])
    assert.deepEqual(await find(long), [])
    assert.equal(long.calls, 1)
  })

  it('is walked again when the routing table grew during a walk that found nothing', async () => {
    const dht = scripted([['meet'], ['answer', 'provider']])
    assert.deepEqual(await find(dht), [provider.toString()])
    assert.equal(dht.calls, 2)
  })

  it('a walk that asked one peer is walked again once the routing table grows', async () => {
    const dht = scripted([['answer'], ['answer', 'provider']])
    const table = dht.routingTable as EventTarget & { size: number }
    setTimeout(() => { table.size += 3; table.dispatchEvent(new Event('peer:add')) }, 100)
    assert.deepEqual(await find(dht), [provider.toString()])
    assert.equal(dht.calls, 2)
  })

  it('a walk that asked one peer, which named others, waits longer for them to enter the routing table', async () => {
    const dht = scripted([['offer'], ['answer', 'provider']])
    const table = dht.routingTable as EventTarget & { size: number }
    // later than LOOKUP_GROW_WAIT: kad-dht pings each named peer before it enters the table
    const grows = setTimeout(() => { table.size += 3; table.dispatchEvent(new Event('peer:add')) }, LOOKUP_GROW_WAIT + 500)
    try {
      assert.deepEqual(await find(dht), [provider.toString()])
      assert.equal(dht.calls, 2)
    } finally {
      clearTimeout(grows)
    }
  })
})
