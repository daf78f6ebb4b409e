import assert from 'node:assert/strict'
import { decode as varintDecode } from 'uint8-varint'
import { toString as toText } from 'uint8arrays/to-string'
import { ProvideUpkeep, providerRecords } from '../../src/host/dht.js'
import { PROVIDE_VALIDITY } from '../../src/host/constants.js'
import { Scene, addrOf, fileIdOf, mapLimit, tableSize, waitFor } from './helpers.js'
import type { NetHost } from './helpers.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** When `host` last stored the record "`provider` provides `cid`" (ms), or undefined. */
async function recordTime (host: NetHost, cid: CID, provider: PeerId): Promise<number | undefined> {
  const prefix = `/dht/provider/${toText(cid.multihash.bytes, 'base32')}/${provider.toString()}`
  for await (const entry of (host as any).components.datastore.query({ prefix })) {
    return Number(varintDecode(entry.value))
  }
  return undefined
}

/** The newest time any host holds for the record. */
async function newest (hosts: NetHost[], cid: CID, provider: PeerId): Promise<number> {
  const times = await Promise.all(hosts.map(async h => await recordTime(h, cid, provider)))
  return Math.max(0, ...times.filter((t): t is number => t != null))
}

describe('host/dht: records refreshed while shared, withdrawn when not', function () {
  this.timeout(30_000)
  let scene: Scene
  let hosts: NetHost[]
  let sharer: NetHost
  let kept: CID
  let dropped: CID

  before(async () => {
    scene = new Scene()
    const first = await scene.host({ dht: true })
    const others = await mapLimit(Array.from({ length: 4 }), 4, async () => await scene.host({ dht: true, bootstrap: [addrOf(first)] }))
    // the sharer re-provides every 300 ms: its records are always "about to expire"
    sharer = await scene.host({ dht: { reprovide: { interval: 300, threshold: PROVIDE_VALIDITY } }, bootstrap: [addrOf(first)] })
    hosts = [first, ...others]
    await waitFor(() => [...hosts, sharer].every(h => tableSize(h) >= 3) ? true : undefined, 'routing tables', 15_000, 100)
    kept = await fileIdOf('kept')
    dropped = await fileIdOf('dropped')
  })

  after(async () => { await scene.cleanup() })

  it('provides the shared ids, kad-dht refreshes them, and a withdrawn id is no longer refreshed', async () => {
    const source = { ids: [kept, dropped] }
    const upkeep = new ProvideUpkeep(providerRecords(sharer), { fileIds: () => source.ids })
    scene.defer(async () => { await upkeep.stop() })
    const trafficBefore = sharer.services.dhtTraffic?.stats()
    upkeep.start()
    await upkeep.settled(AbortSignal.timeout(10_000))
    assert.equal(upkeep.stats().provided, 2)
    const traffic = sharer.services.dhtTraffic?.stats()
    assert.ok(traffic != null && trafficBefore != null && traffic.bytesOut > trafficBefore.bytesOut && traffic.streamsOut > trafficBefore.streamsOut)

    const found = await providerRecords(hosts[1]).findProviders(dropped, { signal: AbortSignal.timeout(5000), limit: 1 })
    assert.ok(found[0]?.peerId.equals(sharer.peerId))

    // refreshed: the newest copy of each record moves on
    const t0 = await newest(hosts, kept, sharer.peerId)
    await waitFor(async () => await newest(hosts, kept, sharer.peerId) > t0 ? true : undefined, 'a refresh of the kept record', 5000, 100)

    // withdrawn: gone from the sharer's own store, and no longer refreshed elsewhere
    source.ids = [kept]
    upkeep.sync()
    await waitFor(async () => await recordTime(sharer, dropped, sharer.peerId) == null ? true : undefined, 'the local record to go')
    await new Promise(resolve => setTimeout(resolve, 400)) // a refresh already under way lands
    const d1 = await newest(hosts, dropped, sharer.peerId)
    const k1 = await newest(hosts, kept, sharer.peerId)
    await waitFor(async () => await newest(hosts, kept, sharer.peerId) > k1 ? true : undefined, 'another refresh of the kept record', 5000, 100)
    await new Promise(resolve => setTimeout(resolve, 700))
    assert.equal(await newest(hosts, dropped, sharer.peerId), d1, 'the dropped record was not refreshed')
    assert.equal(upkeep.stats().withdrawn, 1)
  })
})
