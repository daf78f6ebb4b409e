import assert from 'node:assert/strict'
import { Sandbox, waitFor } from './harness.js'
import { expectedFileId, sha256File, writeRandom } from './files.js'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

describe('e2e: without the coordinator (DHT and mDNS)', function () {
  this.timeout(120_000)
  let sb: Sandbox

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('a file is fetched by id through the DHT once the coordinator is gone; a name says it needs one', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeRandom(sb.path('share-a', 'paper.pdf'), 3 * 1024 * 1024 + 5)
    const fileId = await expectedFileId(sb.path('share-a', 'paper.pdf'))
    // four processes that only meet through the coordinator: started at once
    const nodes: Daemon[] = await Promise.all(['a', 'b', 'c', 'd'].map(async n => {
      await sb.mkdir(`share-${n}`)
      return await sb.daemon(['start', '--data-dir', sb.path(n), '--share', sb.path(`share-${n}`), '--listen', LOCAL, '--coordinator', coord.addr])
    }))
    // the sharer's record is on the DHT before the coordinator goes away
    await waitFor(async () => {
      const s = await sb.ask(sb.path('a'), 'status')
      return s.dht?.provided >= 1
    }, 'file id provided on the DHT', 60_000)
    // and the getter has joined the DHT: a node whose only DHT peer is the coordinator when it
    // goes has no one left to ask (its first self-lookup runs a second after start)
    await waitFor(async () => {
      const s = await sb.ask(sb.path('d'), 'status')
      return s.dht?.routingTable >= 4
    }, 'the getter knows the other nodes on the DHT', 60_000)
    await coord.stop()

    const r = await sb.json(['get', fileId, '--data-dir', sb.path('d'), '--out', sb.path('out')], { timeoutMs: 90_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', 'paper.pdf')))
    assert.deepEqual(r.providers, [nodes[0].peerId])

    const byName = await sb.run(['get', 'paper.pdf', '--data-dir', sb.path('c'), '--out', sb.path('out2')])
    assert.equal(byName.code, 1)
    assert.match(byName.stderr, /a name needs a coordinator .* a file id does not/)
  })

  it('two nodes with no coordinator find each other by mDNS and one downloads from the other', async () => {
    const env = { FSNODE_MDNS: '1' }
    await writeRandom(sb.path('share-a', 'lan.bin'), 600 * 1024)
    const fileId = await expectedFileId(sb.path('share-a', 'lan.bin'))
    const a = await sb.daemon(['start', '--data-dir', sb.path('a'), '--share', sb.path('share-a'), '--listen', LOCAL], { env })
    await sb.mkdir('share-b')
    await sb.daemon(['start', '--data-dir', sb.path('b'), '--share', sb.path('share-b'), '--listen', LOCAL], { env })
    await waitFor(async () => {
      const s = await sb.ask(sb.path('a'), 'status')
      return s.dht?.provided >= 1
    }, 'provided to the peer found on the LAN', 60_000)
    const r = await sb.json(['get', fileId, '--data-dir', sb.path('b'), '--out', sb.path('out')], { env, timeoutMs: 90_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', 'lan.bin')))
    assert.deepEqual(r.providers, [a.peerId])
  })
})
