import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Key } from 'interface-datastore'
import * as varint from 'uint8-varint'
import { createHost } from '../../src/host/create-host.js'
import { ProviderStore } from '../../src/host/provider-store.js'
import { FrameCounter } from '../../src/host/kad-guard.js'
import type { KadGuardInit } from '../../src/host/kad-guard.js'
import { PROVIDER_KEY_PREFIX } from '../../src/host/constants.js'
import { hostileHost, peakDuring } from './hosts.js'
import { FLOOD_BATCH, addProviders, getProviders, randomCid } from './kad-client.js'
import { sleep } from './net.js'
import type { Host, NetworkServices } from '../../src/host/create-host.js'
import type { ProviderStoreLimits } from '../../src/host/provider-store.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const PER_PEER = 100
const TOTAL = 300
/** High enough that the cap tests never meet the rate limit. */
const NO_RATE = { rateRecords: 1_000_000, rateRecordsTotal: 1_000_000 }

/** Does `target` name `who` as a provider of `cid` (asked directly, no DHT walk)? */
async function provides (asker: Libp2p, target: Multiaddr, cid: CID, who: Libp2p): Promise<boolean> {
  const answer = await getProviders(asker, target, cid, AbortSignal.timeout(10_000))
  return answer.providers.some(p => p.equals(who.peerId))
}

async function providedCount (asker: Libp2p, target: Multiaddr, cids: CID[], who: Libp2p): Promise<number> {
  let n = 0
  for (const cid of cids) if (await provides(asker, target, cid, who)) n++
  return n
}

describe('hardening: a flood of DHT provider records (ADD_PROVIDER) is bounded', function () {
  this.timeout(120_000)
  const cleanup: Array<() => Promise<void>> = []
  const defer = (fn: () => Promise<void>): void => { cleanup.push(fn) }
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {})
    cleanup.length = 0
  })

  async function target (limits: ProviderStoreLimits, guard?: KadGuardInit): Promise<{ node: Host<NetworkServices>, addr: Multiaddr, records: () => number }> {
    const node = await createHost<NetworkServices>({ privateKey: await generateKeyPair('Ed25519'), listen: [LOCAL], dht: { providerStore: limits, guard } })
    defer(async () => { await node.stop() })
    const store = node.services.dhtProviders
    assert.ok(store != null, 'the node exposes its provider store')
    return { node, addr: node.getMultiaddrs()[0], records: () => store.stats().records }
  }

  it('one peer id sending 1,000 records keeps its newest 100; an honest record stays and is found', async () => {
    const { node, addr, records } = await target({ maxPerPeer: PER_PEER, maxRecords: TOTAL, ...NO_RATE })
    const honest = await hostileHost(defer)
    const attacker = await hostileHost(defer)
    const legit = randomCid()
    await addProviders(honest, addr, [legit], { signal: AbortSignal.timeout(10_000) })

    const flood = Array.from({ length: 1000 }, () => randomCid())
    const peak = await peakDuring(records, addProviders(attacker, addr, flood, { signal: AbortSignal.timeout(60_000) }))
    // the node answers for the last 100 only: the oldest were dropped first
    assert.equal(await providedCount(honest, addr, flood.slice(0, 50), attacker), 0, 'the oldest flood records are gone')
    assert.equal(await providedCount(honest, addr, flood.slice(-50), attacker), 50, 'the newest flood records are kept')
    assert.ok(await provides(attacker, addr, legit, honest), "the honest peer's record is still found")
    assert.ok(peak <= PER_PEER + 1, `records held peaked at ${peak}`)
    assert.deepEqual(node.services.dhtProviders?.stats(), { records: PER_PEER + 1, peers: 2, own: 0, evicted: 900, expired: 0, refused: 0 })
  })

  it('many peer ids together never pass the total; the oldest records go first, whoever sent them', async () => {
    const { addr, records } = await target({ maxPerPeer: PER_PEER, maxRecords: TOTAL, ...NO_RATE })
    const asker = await hostileHost(defer)
    const attackers: Libp2p[] = []
    const sent: CID[][] = []
    let peak = 0
    for (let i = 0; i < 5; i++) {
      const a = await hostileHost(defer)
      const cids = Array.from({ length: PER_PEER }, () => randomCid())
      peak = Math.max(peak, await peakDuring(records, addProviders(a, addr, cids, { signal: AbortSignal.timeout(30_000) })))
      attackers.push(a)
      sent.push(cids)
    }
    // 500 sent, 300 kept: the first two peers' records were the oldest
    for (const i of [0, 1]) assert.equal(await providedCount(asker, addr, sent[i].slice(0, 10), attackers[i]), 0, `peer ${i}'s records dropped`)
    for (const i of [2, 3, 4]) assert.equal(await providedCount(asker, addr, sent[i].slice(0, 10), attackers[i]), 10, `peer ${i}'s records kept`)
    assert.ok(peak <= TOTAL, `records held peaked at ${peak}`)
    assert.equal(records(), TOTAL)
  })

  it('a peer announcing faster than the rate limit has its streams reset and stores no more; others are served', async () => {
    const rateRecords = 200
    const { node, addr } = await target({ rateRecords, rateWindow: 60_000 })
    const honest = await hostileHost(defer)
    const attacker = await hostileHost(defer)
    const flood = Array.from({ length: 5 * FLOOD_BATCH }, () => randomCid())
    const r = await addProviders(attacker, addr, flood, { persist: true, signal: AbortSignal.timeout(60_000) })
    // the first batch of 500 crosses the limit: its stream is reset, and so is every later one
    assert.deepEqual(r, { handled: 0, refused: flood.length, denied: 0 })
    const stats = node.services.dhtProviders?.stats()
    assert.equal(stats?.records, rateRecords, 'only the announces within the limit were stored')
    assert.ok((stats?.refused ?? 0) >= 5, `one refusal per reset stream (${stats?.refused})`)
    assert.equal(await providedCount(honest, addr, flood.slice(FLOOD_BATCH, FLOOD_BATCH + 20), attacker), 0, 'nothing after the limit was stored')

    const legit = randomCid()
    assert.deepEqual(await addProviders(honest, addr, [legit], { signal: AbortSignal.timeout(10_000) }), { handled: 1, refused: 0, denied: 0 })
    assert.ok(await provides(attacker, addr, legit, honest), 'an honest peer still announces and is found')
  })

  it('a peer sending DHT messages past its rate has its streams reset, then is cut off and refused; others are served', async () => {
    // 1,100 messages per window: two batches of 500 ADD_PROVIDER (+1 PING each) pass, the third does not
    const { node, addr } = await target(NO_RATE, { messages: 1_100, window: 60_000, strikes: 2, ban: 60_000 })
    const honest = await hostileHost(defer)
    const attacker = await hostileHost(defer)
    const flood = Array.from({ length: 6 * FLOOD_BATCH }, () => randomCid())
    const r = await addProviders(attacker, addr, flood, { persist: true, signal: AbortSignal.timeout(60_000) })
    // batches 3, 4 and 5 are reset (the third reset cuts the peer off), batch 6 finds the door shut
    assert.deepEqual(r, { handled: 2 * FLOOD_BATCH, refused: 3 * FLOOD_BATCH, denied: FLOOD_BATCH })
    assert.deepEqual(node.services.dhtGuard?.stats(), { resetStreams: 3, bans: 1, banned: 1 })
    assert.equal(node.services.dhtProviders?.stats().records, 2 * FLOOD_BATCH, 'only the messages within the rate reached the DHT')
    assert.equal(node.getConnections(attacker.peerId).length, 0, "the attacker's connection is closed")
    // (the dialler's side of noise ends first, so the dial itself may succeed before the node's refusal)
    await assert.rejects(getProviders(attacker, addr, flood[0], AbortSignal.timeout(10_000)), (err: any) => {
      assert.ok(!['AbortError', 'TimeoutError'].includes(err.name), `refused, not timed out: ${err.name} ${err.message}`)
      return true
    })
    assert.equal(node.getConnections(attacker.peerId).length, 0, 'a new connection is refused while cut off')

    const legit = randomCid()
    assert.deepEqual(await addProviders(honest, addr, [legit], { signal: AbortSignal.timeout(10_000) }), { handled: 1, refused: 0, denied: 0 })
    assert.ok(await provides(honest, addr, legit, honest), 'an honest peer still announces and is found')
  })

  it('a record older than its validity is no longer given out and is dropped', async () => {
    const validity = 1_500
    const { node, addr } = await target({ validity })
    const honest = await hostileHost(defer)
    const asker = await hostileHost(defer)
    const cid = randomCid()
    await addProviders(honest, addr, [cid], { signal: AbortSignal.timeout(10_000) })
    assert.ok(await provides(asker, addr, cid, honest), 'found while valid')
    await sleep(validity + 500)
    assert.equal(await provides(asker, addr, cid, honest), false, 'not given out once expired')
    assert.deepEqual(node.services.dhtProviders?.stats(), { records: 0, peers: 0, own: 0, evicted: 0, expired: 1, refused: 0 })
  })
})

describe('host/kad-guard: counting length-prefixed messages as their bytes arrive', () => {
  it('counts messages whose prefix and body arrive in any pieces', () => {
    const msg = (len: number): Uint8Array => Uint8Array.from([...varint.encode(len), ...new Uint8Array(len)])
    const all = Uint8Array.from([...msg(0), ...msg(3), ...msg(300), ...msg(1), ...msg(70_000)])
    const whole = new FrameCounter()
    assert.equal(whole.feed(all), 5)
    // byte by byte: the two-byte and three-byte prefixes are split too
    const bytes = new FrameCounter()
    let n = 0
    for (const b of all) n += bytes.feed(Uint8Array.of(b))
    assert.equal(n, 5)
    // a message counts when its prefix is complete, before its body
    const parts = new FrameCounter()
    assert.equal(parts.feed(all.subarray(0, 2)), 2)
    assert.equal(parts.feed(all.subarray(2, 9)), 1)
    assert.equal(parts.feed(all.subarray(9)), 2)
  })
})

describe('host/provider-store: the bounded store kad-dht writes provider records to', () => {
  const self = 'selfPeer'
  const key = (cid: string, peer: string): Key => new Key(`${PROVIDER_KEY_PREFIX}/${cid}/${peer}`)
  const at = (ms: number): Uint8Array => varint.encode(ms)
  async function cidsOf (store: ProviderStore, cid: string): Promise<string[]> {
    const out: string[] = []
    for await (const { key } of store.query({ prefix: `${PROVIDER_KEY_PREFIX}/${cid}` })) out.push(key.toString().split('/').pop() ?? '')
    return out.sort()
  }

  it("keeps this node's own records whatever the caps and the age (kad-dht re-provides from them)", async () => {
    const store = new ProviderStore({ self, maxPerPeer: 1, maxRecords: 1, validity: 1_000 })
    store.put(key('c1', self), at(Date.now() - 60_000))
    store.put(key('c2', self), at(Date.now() - 60_000))
    store.put(key('c1', 'other'), at(Date.now()))
    store.put(key('c3', 'other'), at(Date.now()))
    assert.deepEqual(await cidsOf(store, 'c1'), [self])
    assert.deepEqual(await cidsOf(store, 'c2'), [self])
    assert.deepEqual(await cidsOf(store, 'c3'), ['other'])
    assert.deepEqual(store.stats(), { records: 1, peers: 1, own: 2, evicted: 1, expired: 0, refused: 0 })
  })

  it('a re-announced record counts as new: the next record past the cap drops another one', async () => {
    const store = new ProviderStore({ self, maxPerPeer: 2 })
    store.put(key('a', 'p'), at(Date.now()))
    store.put(key('b', 'p'), at(Date.now()))
    store.put(key('a', 'p'), at(Date.now())) // refreshed: now the newest
    store.put(key('c', 'p'), at(Date.now()))
    assert.deepEqual(await cidsOf(store, 'a'), ['p'])
    assert.deepEqual(await cidsOf(store, 'b'), [])
    assert.deepEqual(await cidsOf(store, 'c'), ['p'])
    store.delete(key('a', 'p'))
    assert.equal(store.has(key('a', 'p')), false)
    assert.throws(() => store.get(key('a', 'p')), { name: 'NotFoundError' })
    assert.deepEqual(store.stats(), { records: 1, peers: 1, own: 0, evicted: 1, expired: 0, refused: 0 })
  })

  it('refuses announces from a peer past its rate, with a ProviderRateError; its own records never', () => {
    const store = new ProviderStore({ self, rateRecords: 2, rateWindow: 60_000 })
    store.put(key('a', 'p'), at(Date.now()))
    store.put(key('b', 'p'), at(Date.now()))
    assert.throws(() => store.put(key('c', 'p'), at(Date.now())), { name: 'ProviderRateError', message: /announced more than the rate limit/ })
    store.put(key('a', 'q'), at(Date.now()))
    for (const c of ['x', 'y', 'z']) store.put(key(c, self), at(Date.now()))
    assert.deepEqual(store.stats(), { records: 3, peers: 2, own: 3, evicted: 0, expired: 0, refused: 1 })
  })

  it('refuses a key that is not a provider record', () => {
    const store = new ProviderStore({ self })
    assert.throws(() => store.put(new Key(`${PROVIDER_KEY_PREFIX}/only-a-cid`), at(0)), { name: 'ProviderKeyError', message: /not a provider record key/ })
    assert.equal(store.stats().records, 0)
  })
})
