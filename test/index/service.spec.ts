import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/host/create-host.js'
import { coordinator } from '../../src/index/service.js'
import { IndexClient } from '../../src/index/client.js'
import { groupByFile } from '../../src/index/decode.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { lpEncode } from '../../src/wire/framing.js'
import { IndexRequest, IndexResponse } from '../../src/wire/index.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Scene, file, waitFor } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorService } from '../../src/index/service.js'
import type { IndexPage } from '../../src/index/client.js'
import type { Multiaddr } from '@multiformats/multiaddr'

async function all (pages: AsyncIterable<IndexPage>): Promise<IndexPage[]> {
  const out: IndexPage[] = []
  for await (const p of pages) out.push(p)
  return out
}

/** Send raw bytes on a fresh index stream and read what comes back (null: nothing). */
async function rawExchange (node: Host, addr: Multiaddr, bytes: Uint8Array): Promise<{ response: IndexResponse | null, closed: boolean }> {
  const stream = await node.dialProtocol(addr, INDEX_PROTOCOL, { signal: AbortSignal.timeout(5000) })
  const reader = new StreamReader(stream)
  stream.send(bytes)
  const frame = await reader.readLp(MAX_INDEX_FRAME, AbortSignal.timeout(5000))
  const response = frame == null ? null : IndexResponse.decode(frame)
  // closed: the coordinator ends its side; open: nothing within a short wait
  const closed = await reader.readSome(1, AbortSignal.timeout(500)).then(more => more == null, () => false)
  stream.abort(new Error('done'))
  return { response, closed }
}

describe('index/service over real connections', function () {
  this.timeout(20_000)
  let scene: Scene
  let coord: { node: Host, service: CoordinatorService, addr: Multiaddr }

  beforeEach(async () => {
    scene = new Scene()
    coord = await scene.coordinator({ dataDir: await scene.tmpDir(), graceMs: 400, sweepInterval: 100, maxEntriesPerPeer: 50, idleTimeout: 1500 })
  })
  afterEach(async () => { await scene.cleanup() })

  async function client (): Promise<{ node: Host, index: IndexClient }> {
    const node = await scene.host()
    const index = IndexClient.forNode(node, coord.addr, { timeout: 5000 })
    scene.defer(async () => { await index.close() })
    return { node, index }
  }

  it('two nodes announce; a third lists, searches and looks up with sizes, file ids and providers', async () => {
    const a = await client()
    const b = await client()
    const viewer = await client()
    const beach = await file('holiday photos/beach sunset.txt', 20)
    const notes = await file('notes.md', 8)
    const report = await file('quarterly-report.pdf', 300 * 1024)
    await a.index.announce({ replace: true, files: [beach, notes], addrs: a.node.getMultiaddrs() })
    await b.index.announce({ replace: true, files: [report, { ...notes }], addrs: b.node.getMultiaddrs() })

    const files = groupByFile(await all(viewer.index.listAll()))
    assert.deepEqual(files.map(f => f.name), ['holiday photos/beach sunset.txt', 'notes.md', 'quarterly-report.pdf'])
    const byName = new Map(files.map(f => [f.name, f]))
    assert.equal(byName.get('holiday photos/beach sunset.txt')?.size, 20)
    assert.equal(byName.get('holiday photos/beach sunset.txt')?.fileId, beach.fileId.toString())
    assert.equal(byName.get('quarterly-report.pdf')?.size, 300 * 1024)
    assert.deepEqual(byName.get('quarterly-report.pdf')?.providers.map(p => p.peerId), [b.node.peerId.toString()])
    assert.deepEqual(new Set(byName.get('notes.md')?.providers.map(p => p.peerId)), new Set([a.node.peerId.toString(), b.node.peerId.toString()]))
    const pa = byName.get('notes.md')?.providers.find(p => p.peerId === a.node.peerId.toString())
    assert.deepEqual(pa?.addrs, a.node.getMultiaddrs().map(m => m.toString()))
    assert.equal(pa?.online, true)

    assert.deepEqual((await viewer.index.search('sunset')).entries.map(e => e.name), ['holiday photos/beach sunset.txt'])
    assert.deepEqual((await viewer.index.search('quarterly')).entries.map(e => e.name), ['quarterly-report.pdf'])
    assert.deepEqual((await viewer.index.search('nothing-like-this')).entries, [])
    assert.deepEqual((await viewer.index.search('"a OR b*` NEAR(')).entries, [], 'FTS syntax is just words')

    const [found] = await viewer.index.lookup({ fileId: notes.fileId })
    assert.equal(found.size, 8)
    assert.equal(found.providers.length, 2)
    assert.ok(found.providers[0].addrs.length > 0)
    const byLookupName = await viewer.index.lookup({ name: 'quarterly-report.pdf' })
    assert.equal(byLookupName[0].fileId.toString(), report.fileId.toString())

    // paging over the network, a prefix, and withdraw
    const pages = await all(viewer.index.listAll({ limit: 2 }))
    assert.equal(pages.length, 2)
    assert.equal(pages.flatMap(p => p.entries).length, 4)
    assert.equal((await viewer.index.list({ prefix: 'holiday photos/' })).entries.length, 1)
    assert.deepEqual(await a.index.withdraw(['notes.md', 'not-there']), { removed: 1 })
    assert.deepEqual((await viewer.index.lookup({ name: 'notes.md' }))[0].providers.map(p => p.peerId), [b.node.peerId.toString()])
  })

  it('entries are keyed by the authenticated peer: a node cannot announce for another', async () => {
    const a = await client()
    const b = await client()
    await a.index.announce({ replace: true, files: [await file('mine.txt')] })
    const page = await b.index.list()
    assert.deepEqual(page.entries.map(e => e.peerId), [a.node.peerId.toString()])
    // an address that names another peer is refused
    const forged = multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${b.node.peerId.toString()}`)
    await assert.rejects(a.index.announce({ files: [], addrs: [forged] }), { name: 'IndexError', code: 'BAD_REQUEST' })
    // b's snapshot only replaces b's entries
    await b.index.announce({ replace: true, files: [] })
    assert.equal((await b.index.list()).entries.length, 1)
  })

  it('refuses malformed bytes and oversized frames with an error, and serves the next peer right after', async () => {
    const bad = await client()
    const good = await client()
    await good.index.announce({ replace: true, files: [await file('ok.txt')] })

    const garbage = await rawExchange(bad.node, coord.addr, lpEncode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08])))
    assert.equal(garbage.response?.status, IndexResponse.Status.ERROR)
    assert.equal(garbage.response?.code, 'BAD_REQUEST')
    assert.equal(garbage.closed, true)
    assert.equal((await good.index.list()).entries.length, 1)

    // a length prefix over the limit: refused before its body is read
    const huge = await rawExchange(bad.node, coord.addr, new Uint8Array([0x80, 0x80, 0x80, 0x08, 1, 2, 3]))
    assert.equal(huge.response?.code, 'TOO_LARGE')
    assert.match(huge.response?.error ?? '', /exceeds the limit/)
    assert.equal(huge.closed, true)
    assert.equal((await good.index.search('ok')).entries.length, 1)

    // an oversized frame that is really sent
    const body = new Uint8Array(MAX_INDEX_FRAME + 10)
    const sent = await rawExchange(bad.node, coord.addr, lpEncode(body))
    assert.equal(sent.response?.code, 'TOO_LARGE')
    assert.equal((await good.index.list()).entries.length, 1)

    // an unknown request type on a good stream: an error, and the stream still serves
    const unknown = await rawExchange(bad.node, coord.addr, lpEncode(new Uint8Array([0x08, 99])))
    assert.equal(unknown.response?.status, IndexResponse.Status.ERROR)
    const empty = await rawExchange(bad.node, coord.addr, lpEncode(IndexRequest.encode({})))
    assert.equal(empty.response?.code, 'UNSUPPORTED')
    assert.equal(empty.closed, false, 'a well-formed request keeps the stream')
  })

  it('refuses the whole message when one entry is invalid', async () => {
    const a = await client()
    const other = await client()
    const ok = await file('fine.txt')
    const cases: Array<[string, Record<string, unknown>]> = [
      ['../x', {}], ['a/../../x', {}], ['/abs', {}], ['bell\u0007.txt', {}], ['line\nbreak', {}], ['back\\slash', {}],
      ['x'.repeat(10 * 1024), {}], ['', {}], ['dir/', {}], ['neg.txt', { size: -1 }],
      ['badid.txt', { fileId: new Uint8Array([1, 2, 3]) }]
    ]
    for (const [name, override] of cases) {
      const bad = { ...(await file(name === '' ? 'x' : name)), name, ...override }
      await assert.rejects(a.index.announce({ replace: true, files: [ok, bad as any] }), (err: any) => {
        assert.equal(err.name, 'IndexError', `${JSON.stringify(name.slice(0, 20))}: ${String(err)}`)
        assert.equal(err.code, 'BAD_REQUEST')
        assert.ok(!err.message.includes('\n'), 'one line')
        return true
      })
      assert.equal((await other.index.list()).entries.length, 0, `nothing stored for ${JSON.stringify(name.slice(0, 20))}`)
    }
    await a.index.announce({ replace: true, files: [ok] })
    assert.equal((await other.index.list()).entries.length, 1)
  })

  it('answers QUOTA past the per-peer entry limit and too many addresses', async () => {
    const a = await client()
    const many = await Promise.all(Array.from({ length: 51 }, async (_, i) => await file(`f${i}.txt`)))
    await assert.rejects(a.index.announce({ replace: true, files: many }), { name: 'IndexError', code: 'QUOTA' })
    await a.index.announce({ replace: true, files: many.slice(0, 50) })
    await assert.rejects(a.index.announce({ files: [many[50]] }), { code: 'QUOTA' })
    const addrs = Array.from({ length: 33 }, (_, i) => multiaddr(`/ip4/10.0.0.${i}/tcp/1`))
    await assert.rejects(a.index.announce({ files: [], addrs }), { code: 'QUOTA' })
    assert.equal(coord.service.store.count(a.node.peerId.toString()), 50)
  })

  it('hides a disconnected provider after the grace; it is back once it reconnects and re-announces', async () => {
    const a = await client()
    const viewer = await client()
    await a.index.announce({ replace: true, files: [await file('come-and-go.txt')] })
    await a.index.close()
    await a.node.hangUp(coord.node.peerId)
    const offline = await waitFor(async () => {
      const page = await viewer.index.list()
      return page.providers.get(a.node.peerId.toString())?.online === false ? page : undefined
    }, 'provider offline')
    assert.equal(offline.entries.length, 1, 'still listed during the grace')
    await waitFor(async () => (await viewer.index.list()).entries.length === 0 ? true : undefined, 'entries hidden')
    await waitFor(() => coord.service.store.provider(a.node.peerId.toString()) == null ? true : undefined, 'provider expired')

    await a.index.announce({ replace: true, files: [await file('come-and-go.txt')] })
    const back = await viewer.index.list()
    assert.deepEqual(back.entries.map(e => e.name), ['come-and-go.txt'])
    assert.equal(back.providers.get(a.node.peerId.toString())?.online, true)
  })

  it('aborts a stream idle longer than the idle timeout; the client reopens one by itself', async () => {
    const a = await client()
    await a.index.announce({ replace: true, files: [await file('idle.txt')] })
    await new Promise(resolve => setTimeout(resolve, 1800))
    assert.equal((await a.index.list()).entries.length, 1)
  })

  it('runs as a libp2p service from the coordinator() factory', async () => {
    const dir = await scene.tmpDir()
    const node = await createHost({
      privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], services: { index: coordinator({ dataDir: dir }) }
    })
    scene.defer(async () => { await node.stop() })
    const a = await scene.host()
    const index = IndexClient.forNode(a, node.getMultiaddrs()[0])
    await index.announce({ replace: true, files: [await file('via-service.txt')] })
    assert.deepEqual((await index.search('service')).entries.map(e => e.name), ['via-service.txt'])
    assert.ok(node.getProtocols().includes(INDEX_PROTOCOL))
    await index.close()
  })

  it('a restarted coordinator serves its persisted index, providers offline, until the grace ends', async () => {
    const dataDir = await scene.tmpDir()
    const first = await scene.coordinator({ dataDir, graceMs: 5000 })
    const a = await scene.host()
    const ia = IndexClient.forNode(a, first.addr)
    await ia.announce({ replace: true, files: [await file('persist.txt', 11)], addrs: a.getMultiaddrs() })
    await ia.close()
    await first.service.stop()
    await first.node.stop()

    const second = await scene.coordinator({ dataDir, graceMs: 5000 })
    const viewer = await scene.host()
    const page = await IndexClient.forNode(viewer, second.addr).list()
    assert.deepEqual(page.entries.map(e => [e.name, e.size]), [['persist.txt', 11]])
    assert.equal(page.providers.get(a.peerId.toString())?.online, false)
    assert.deepEqual(page.providers.get(a.peerId.toString())?.addrs.map(m => m.toString()), a.getMultiaddrs().map(m => m.toString()))
  })
})
