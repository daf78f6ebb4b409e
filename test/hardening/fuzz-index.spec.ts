import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { IndexClient } from '../../src/index/client.js'
import { IndexStore } from '../../src/index/store.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { IndexRequest, IndexResponse } from '../../src/wire/index.js'
import { Scene, file, fileIdOf } from '../index/helpers.js'
import { HEAP_MARGIN, RejectionGuard, Rng, fuzzCases, fuzzSeed, fuzzStreamBytes, hex, pool, settledHeap } from './fuzz.js'
import { rawExchange, splitFrames, until } from './net.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorService } from '../../src/index/service.js'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const FUZZ_HOSTS = 3
const STREAMS_PER_HOST = 3
/** A fuzz case's stream must end this soon after we half-close it. */
const CASE_DEADLINE = 5_000
const HONEST_EVERY = 250

describe('hardening: fuzzing the index protocol', function () {
  const cases = fuzzCases()
  this.timeout(60_000 + cases * 20)
  const guard = new RejectionGuard()
  let scene: Scene
  let coord: { node: Host, service: CoordinatorService, addr: Multiaddr }

  before(async () => {
    guard.install()
    scene = new Scene()
    const store = new IndexStore(':memory:', { maxEntriesPerPeer: 5_000 })
    scene.defer(async () => { store.close() })
    coord = await scene.coordinator({ store, idleTimeout: 1_000, responseTimeout: 2_000 })
  })
  after(async () => {
    await scene.cleanup()
    guard.uninstall()
  })

  it(`survives ${cases} random and mutated requests; honest peers are served throughout`, async () => {
    const seed = fuzzSeed()
    const pools = await requestPools()
    const honest = await scene.host()
    const honestClient = IndexClient.forNode(honest, coord.addr, { timeout: 5_000 })
    const mine = await file('honest/peer.txt')
    await honestClient.announce({ replace: true, files: [mine] })

    const hosts = await Promise.all(Array.from({ length: FUZZ_HOSTS }, async () => await scene.host()))
    const conns: Connection[] = await Promise.all(hosts.map(async h => await h.dial(coord.addr, { signal: AbortSignal.timeout(5_000) })))
    const heapBefore = await settledHeap()
    const endings: Record<string, number> = {}
    const statuses: Record<string, number> = {}
    const hung: string[] = []
    const badReplies: string[] = []
    const started = Date.now()

    await pool(cases, FUZZ_HOSTS * STREAMS_PER_HOST, async i => {
      const rng = new Rng(seed + i * 7919)
      const bytes = fuzzStreamBytes(rng, () => encodeRequest(validRequest(rng, pools)), MAX_INDEX_FRAME)
      const r = await rawExchange(conns[i % conns.length], INDEX_PROTOCOL, bytes, { deadline: CASE_DEADLINE })
      endings[r.ending] = (endings[r.ending] ?? 0) + 1
      if (r.ending === 'hung') hung.push(`case ${i} (seed ${seed}): ${hex(bytes)}`)
      const { frames, rest } = splitFrames(r.received)
      if (rest.byteLength > 0 && r.ending === 'closed') badReplies.push(`case ${i}: ${rest.byteLength} trailing bytes`)
      for (const f of frames) {
        try {
          const res = IndexResponse.decode(f)
          const key = res.status === IndexResponse.Status.OK ? 'OK' : res.code
          statuses[key] = (statuses[key] ?? 0) + 1
          if (res.error.includes('\n')) badReplies.push(`case ${i}: multi-line error ${JSON.stringify(res.error)}`)
        } catch (err: any) {
          badReplies.push(`case ${i}: undecodable response ${err.message}`)
        }
      }
      if (i % HONEST_EVERY === 0) {
        const page = await honestClient.search('peer', { signal: AbortSignal.timeout(5_000) })
        assert.ok(page.entries.some(e => e.name === mine.name), `honest search during the fuzz (case ${i})`)
      }
    })

    const seconds = (Date.now() - started) / 1000
    console.log(`      index fuzz: ${cases} cases in ${seconds.toFixed(1)} s, seed ${seed}; endings ${JSON.stringify(endings)}; responses ${JSON.stringify(statuses)}`)
    assert.deepEqual(hung, [], 'every stream ends once the peer half-closes')
    assert.deepEqual(badReplies, [], 'every response is one decodable frame')
    assert.ok((statuses.BAD_REQUEST ?? 0) > 0 && (statuses.OK ?? 0) > 0, 'the cases reached both the decoder and the handlers')
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)

    // nothing left behind: no stream held, heap back near where it was
    await until(() => (coord.service as any).streams.size === 0, 'the coordinator to drop every fuzz stream')
    const grown = await settledHeap() - heapBefore
    assert.ok(grown < HEAP_MARGIN, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
    // the honest peer is served right after, and its entry is intact
    const found = await honestClient.lookup({ name: mine.name })
    assert.deepEqual(found.map(r => r.fileId.toString()), [mine.fileId.toString()])
    assert.equal(found[0].providers[0].peerId, honest.peerId.toString())
    await honestClient.close()
  })
})

/** Encode, writing a type number the enum does not know by hand (protons refuses it). */
function encodeRequest (req: Partial<IndexRequest>): Uint8Array {
  const type = Number(req.type)
  const name = TYPES[type]
  if (name != null) return IndexRequest.encode({ ...req, type: name })
  const body = IndexRequest.encode({ ...req, type: IndexRequest.Type.UNKNOWN })
  return new Uint8Array([0x08, type, ...body])
}

const TYPES = [
  IndexRequest.Type.UNKNOWN, IndexRequest.Type.ANNOUNCE, IndexRequest.Type.WITHDRAW, IndexRequest.Type.LIST,
  IndexRequest.Type.SEARCH, IndexRequest.Type.LOOKUP
]

interface RequestPools {
  fileIds: Uint8Array[]
  addrs: Uint8Array[]
}

async function requestPools (): Promise<RequestPools> {
  const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const fileIds = [(await fileIdOf('a')).bytes, (await fileIdOf('b')).bytes, new Uint8Array([1, 0x55, 0x12, 0x20]), new Uint8Array(0)]
  const addrs = ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/1', `/ip4/1.2.3.4/tcp/1/p2p/${other}`, '/dns4/example.com/tcp/443/wss']
    .map(a => multiaddr(a).bytes)
  return { fileIds, addrs: [...addrs, new Uint8Array([0xff, 0xff])] }
}

/** A request that is well-formed protobuf, with field values anywhere from right to absurd. */
function validRequest (rng: Rng, pools: RequestPools): Partial<IndexRequest> {
  const type = rng.pick([1, 1, 2, 3, 3, 4, 4, 5, 5, 0, 6, 99]) as unknown as IndexRequest.Type
  const sizes = [0, 1, 1024, 2 ** 40, Number.MAX_SAFE_INTEGER]
  const entry = (): any => ({
    name: rng.chance(0.7) ? `dir${rng.int(5)}/file-${rng.int(50)}.txt` : rng.text(),
    fileId: rng.chance(0.9) ? rng.pick(pools.fileIds) : rng.bytes(rng.int(40)),
    size: rng.pick(sizes),
    mtime: rng.pick(sizes)
  })
  return {
    type,
    replace: rng.chance(0.3),
    files: Array.from({ length: rng.int(rng.chance(0.1) ? 200 : 5) }, entry),
    addrs: Array.from({ length: rng.int(rng.chance(0.05) ? 40 : 3) }, () => rng.pick(pools.addrs)) as any,
    names: Array.from({ length: rng.int(4) }, () => rng.chance(0.5) ? `dir${rng.int(5)}/file-${rng.int(50)}.txt` : rng.text()),
    query: rng.chance(0.5) ? rng.pick(['', 'file', 'dir1/', 'peer', '"*(']) : rng.text(),
    fileId: rng.chance(0.5) ? rng.pick(pools.fileIds) as any : new Uint8Array(0),
    cursor: rng.chance(0.8) ? '' : rng.pick([rng.text(10), Buffer.from(JSON.stringify(['l', rng.text(5), 'x'])).toString('base64url'), Buffer.from('["s",1e400]').toString('base64url')]),
    limit: rng.pick([0, 1, 10, 2000, 2 ** 32 - 1])
  }
}
