import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ProvideUpkeep, ProviderRecords } from '../../src/host/dht.js'
import { fileIdOf, waitFor } from './helpers.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** A DHT that records calls; provide() succeeds unless told to fail, after `delayMs`. */
class FakeDht {
  provided: string[] = []
  cancelled: string[] = []
  running = 0
  maxRunning = 0
  failing = new Set<string>()
  delayMs = 5
  routingTable = { size: 1 }

  constructor (private readonly peer: PeerId) {}

  provide = (cid: CID, options: { signal?: AbortSignal } = {}): AsyncIterable<any> => {
    const self = this
    return (async function * () {
      self.running++
      self.maxRunning = Math.max(self.maxRunning, self.running)
      try {
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, self.delayMs)
          options.signal?.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')) })
        })
        yield { name: 'SEND_QUERY' }
        if (self.failing.has(cid.toString())) return
        self.provided.push(cid.toString())
        yield { name: 'PEER_RESPONSE', messageName: 'ADD_PROVIDER', from: self.peer }
      } finally {
        self.running--
      }
    })()
  }

  findProviders = (): AsyncIterable<any> => (async function * () {})()

  cancelReprovide = async (cid: CID): Promise<void> => {
    this.cancelled.push(cid.toString())
  }
}

describe('host/dht: provide upkeep', function () {
  this.timeout(10_000)
  let self: PeerId
  let ids: CID[]

  before(async () => {
    self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    ids = await Promise.all(Array.from({ length: 12 }, async (_, i) => await fileIdOf(`file ${i}`)))
  })

  function setup (current: CID[], init = {}): { dht: FakeDht, upkeep: ProvideUpkeep, source: { ids: CID[] } } {
    const dht = new FakeDht(self)
    const source = { ids: current }
    const upkeep = new ProvideUpkeep(new ProviderRecords(dht, self), { fileIds: () => source.ids }, { concurrency: 3, retryMin: 20, retryMax: 40, ...init })
    return { dht, upkeep, source }
  }

  it('provides every file id once, a bounded number at a time', async () => {
    const { dht, upkeep } = setup([...ids, ids[0], ids[1]]) // two names of one file: one id
    upkeep.start()
    await upkeep.settled(AbortSignal.timeout(5000))
    assert.deepEqual([...dht.provided].sort(), ids.map(String).sort())
    assert.ok(dht.maxRunning <= 3, `at most 3 at once, saw ${dht.maxRunning}`)
    const stats = upkeep.stats()
    assert.equal(stats.files, ids.length)
    assert.equal(stats.provided, ids.length)
    assert.equal(stats.messages, ids.length)
    await upkeep.stop()
  })

  it('waits while the node is busy (downloading), and no longer than deferMax', async () => {
    let busy = true
    const { dht, upkeep } = setup(ids.slice(0, 3), { busy: () => busy, deferMax: 60_000 })
    upkeep.start()
    await new Promise(resolve => setTimeout(resolve, 1200)) // two polls
    assert.deepEqual(dht.provided, [], 'nothing provided while busy')
    assert.equal(upkeep.stats().queued, 3)
    busy = false
    await waitFor(() => dht.provided.length === 3 ? true : undefined, 'provided once idle')
    await upkeep.stop()

    // always busy: each id waits deferMax at most
    const always = setup(ids.slice(3, 5), { busy: () => true, deferMax: 300 })
    always.upkeep.start()
    await waitFor(() => always.dht.provided.length === 2 ? true : undefined, 'provided after deferMax', 5000)
    await always.upkeep.stop()
  })

  it('provides added ids and withdraws removed ones on sync', async () => {
    const { dht, upkeep, source } = setup(ids.slice(0, 4))
    upkeep.start()
    await upkeep.settled(AbortSignal.timeout(5000))
    source.ids = [...ids.slice(2, 4), ids[5]]
    upkeep.sync()
    upkeep.sync() // merged with the call before
    await upkeep.settled(AbortSignal.timeout(5000))
    await waitFor(() => dht.cancelled.length === 2 ? true : undefined, 'two withdrawals')
    assert.deepEqual([...dht.cancelled].sort(), ids.slice(0, 2).map(String).sort())
    assert.equal(dht.provided.filter(p => p === ids[5].toString()).length, 1)
    assert.equal(dht.provided.length, 5, 'ids still shared are not provided again')
    assert.equal(upkeep.stats().withdrawn, 2)
    await upkeep.stop()
  })

  it('withdraws an id removed while its provide runs, after the provide let go', async () => {
    const { dht, upkeep, source } = setup([ids[0]])
    dht.delayMs = 200
    upkeep.start()
    await waitFor(() => dht.running === 1 ? true : undefined, 'the provide to start')
    source.ids = []
    upkeep.sync()
    await waitFor(() => dht.cancelled.length === 1 ? true : undefined, 'the withdrawal')
    assert.equal(dht.running, 0)
    assert.deepEqual(dht.provided, [])
    await upkeep.stop()
  })

  it('retries a provide no peer took, with backoff', async () => {
    const { dht, upkeep } = setup([ids[0]])
    dht.failing.add(ids[0].toString())
    upkeep.start()
    await waitFor(() => upkeep.stats().failures >= 2 ? true : undefined, 'two failures')
    assert.equal(upkeep.stats().retrying + upkeep.stats().queued + upkeep.stats().running, 1)
    assert.match(upkeep.stats().lastError ?? '', /no peer took the record/)
    dht.failing.clear()
    await waitFor(() => upkeep.stats().provided === 1 ? true : undefined, 'the retry to succeed')
    await upkeep.stop()
  })

  it('waits for a routing table peer instead of holding a query open', async () => {
    const { dht, upkeep } = setup([ids[0]])
    dht.routingTable.size = 0
    upkeep.start()
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(dht.running, 0)
    assert.equal(upkeep.stats().running, 1)
    dht.routingTable.size = 1
    await upkeep.settled(AbortSignal.timeout(5000))
    assert.equal(upkeep.stats().provided, 1)
    await upkeep.stop()
  })

  it('with a source that has has() and count(): ids are read as the provides go, changes met on the way', async () => {
    const dht = new FakeDht(self)
    // a Map, as the share index gives: its iterator sees ids added while it is read
    const current = new Map(ids.slice(0, 6).map(id => [Buffer.from(id.bytes).toString('latin1'), id]))
    let busy = true
    const upkeep = new ProvideUpkeep(new ProviderRecords(dht, self), {
      fileIds: () => current.keys(),
      has: key => current.has(key),
      count: () => current.size
    }, { concurrency: 1, busy: () => busy, deferMax: 60_000 })
    upkeep.start()
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual({ files: upkeep.stats().files, queued: upkeep.stats().queued }, { files: 6, queued: 6 })
    // the pass over the ids has begun (held back while busy): one not reached yet goes, one
    // comes, and the same pass finds the new one, with no sync
    current.delete(Buffer.from(ids[5].bytes).toString('latin1'))
    current.set(Buffer.from(ids[6].bytes).toString('latin1'), ids[6])
    busy = false
    await waitFor(() => dht.provided.length === 6 ? true : undefined, 'six provided')
    assert.deepEqual([...dht.provided].sort(), [...ids.slice(0, 5), ids[6]].map(String).sort())
    // a provided one goes: withdrawn on sync
    current.delete(Buffer.from(ids[0].bytes).toString('latin1'))
    upkeep.sync()
    await waitFor(() => dht.cancelled.length === 1 ? true : undefined, 'the withdrawal')
    assert.deepEqual(dht.cancelled, [ids[0].toString()])
    await upkeep.settled(AbortSignal.timeout(5000))
    assert.deepEqual({ files: upkeep.stats().files, provided: upkeep.stats().provided, queued: upkeep.stats().queued }, { files: 5, provided: 5, queued: 0 })
    await upkeep.stop()
  })

  it('stop() ends waits and runs; nothing is provided afterwards', async () => {
    const { dht, upkeep, source } = setup(ids.slice(0, 6))
    dht.delayMs = 100
    upkeep.start()
    await waitFor(() => dht.running > 0 ? true : undefined, 'provides to start')
    await upkeep.stop()
    assert.equal(dht.running, 0)
    const before = dht.provided.length
    source.ids = ids
    upkeep.sync()
    await new Promise(resolve => setTimeout(resolve, 150))
    assert.equal(dht.provided.length, before)
  })
})
