import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as varint from 'uint8-varint'
import { IndexClient } from '../../src/index/client.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { lpEncode } from '../../src/wire/framing.js'
import { IndexRequest, IndexResponse } from '../../src/wire/index.js'
import { Scene, file, fileIdOf } from '../index/helpers.js'
import { HEAP_MARGIN, RejectionGuard, settledHeap } from './fuzz.js'
import { hostileHost, peakDuring } from './hosts.js'
import { rawExchange, sleep, splitFrames, until } from './net.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorService } from '../../src/index/service.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

// Timers this short race a starved event loop: at load 20 on two cores this one process (both
// ends run in it) can stall for a second, and a 400 ms idle timer then reset an honest client's
// fresh stream before its request was read. The bounds below are what each case proves: never
// before the timer, and cut off long before the abuse would have ended on its own.
const IDLE = 1_000
const RESPONSE_TIMEOUT = 1_000
const MAX_STREAMS = 4
const FLOOD_STREAMS = 1_000
/** How long an honest request may take while the coordinator is being abused (not a speed test). */
const HONEST_DEADLINE = 10_000

describe('hardening: resource abuse at the coordinator', function () {
  this.timeout(120_000)
  const guard = new RejectionGuard()
  let scene: Scene
  let coord: { node: Host, service: CoordinatorService, addr: Multiaddr }
  let honest: IndexClient

  before(async () => {
    guard.install()
    scene = new Scene()
    coord = await scene.coordinator({ dataDir: await scene.tmpDir(), idleTimeout: IDLE, responseTimeout: RESPONSE_TIMEOUT, maxInboundStreams: MAX_STREAMS })
    honest = IndexClient.forNode(await scene.host(), coord.addr, { timeout: 5_000 })
    scene.defer(async () => { await honest.close() })
    await honest.announce({ replace: true, files: [await file('honest.txt')] })
  })
  after(async () => {
    await scene.cleanup()
    guard.uninstall()
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)
  })

  async function connection (): Promise<Connection> {
    return await (await scene.host()).dial(coord.addr, { signal: AbortSignal.timeout(5_000) })
  }

  async function stillServed (): Promise<void> {
    const t0 = Date.now()
    assert.deepEqual((await honest.search('honest')).entries.map(e => e.name), ['honest.txt'])
    assert.ok(Date.now() - t0 < HONEST_DEADLINE, `honest search took ${Date.now() - t0} ms`)
  }

  for (const [what, bytes] of [
    ['a stream that never sends', new Uint8Array(0)],
    ['half a message, then nothing', lpEncode(IndexRequest.encode({ type: IndexRequest.Type.SEARCH, query: 'x'.repeat(200) })).slice(0, 100)],
    ['a length prefix alone', varint.encode(1000)]
  ] as const) {
    it(`closes ${what} after the idle timeout`, async () => {
      const t0 = Date.now()
      const r = await rawExchange(await connection(), INDEX_PROTOCOL, bytes, { deadline: 15 * IDLE, keepOpen: true })
      const took = Date.now() - t0
      assert.equal(r.ending, 'reset', `${r.ending}: ${r.error ?? ''}`)
      assert.equal(r.received.length, 0, 'nothing was answered')
      assert.ok(took >= IDLE - 50, `ended after ${took} ms, before the idle timeout`)
      await stillServed()
    })
  }

  it('a frame must arrive whole within the idle timeout: a byte-by-byte drip is cut off', async () => {
    const conn = await connection()
    const stream = await conn.newStream(INDEX_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
    let answered = 0
    stream.addEventListener('message', (evt) => { answered += evt.data.byteLength })
    // ~105 bytes at one per 100 ms: the whole drip would last over 10 s, ten idle timeouts, and
    // each byte resets no timer of the coordinator's (a per-read timer would let it run forever)
    const frame = lpEncode(IndexRequest.encode({ type: IndexRequest.Type.SEARCH, query: 'x'.repeat(100) }))
    const t0 = Date.now()
    let sent = 0
    while (sent < frame.length && stream.status === 'open') {
      try { stream.send(frame.subarray(sent, sent + 1)) } catch { break }
      sent++
      await sleep(100)
    }
    const took = Date.now() - t0
    assert.ok(sent < frame.length, `the whole ${frame.length}-byte frame went through in ${took} ms`)
    assert.notEqual(stream.status, 'open')
    assert.equal(answered, 0, 'a dripped request was answered')
    assert.ok(took >= IDLE - 50, `cut off after ${took} ms, before the idle timeout`)
    await stillServed()
  })

  it('oversized frames, really sent on many streams at once, are refused without buffering them', async () => {
    // the coordinator's default idle timeout: pushing 32 MiB through this one process (both
    // ends run in it) can starve it for seconds under load, and a 400 ms idle timer then reset
    // the honest client's fresh stream before its request was read (StreamResetError)
    const target = await scene.coordinator({ dataDir: await scene.tmpDir(), maxInboundStreams: MAX_STREAMS })
    const viewer = IndexClient.forNode(await scene.host(), target.addr, { timeout: 10_000 })
    scene.defer(async () => { await viewer.close() })
    await viewer.announce({ replace: true, files: [await file('honest.txt')] })
    const targetStreams = (): number => (target.service as any).streams.size
    const heapBefore = await settledHeap()
    const conns = await Promise.all([1, 2, 3, 4].map(async () => await (await scene.host()).dial(target.addr, { signal: AbortSignal.timeout(5_000) })))
    // each stream claims a 64 MiB frame and really sends 4 MiB of it
    const bytes = new Uint8Array([...varint.encode(64 * MAX_INDEX_FRAME), ...new Uint8Array(4 * 1024 * 1024)])
    const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => await rawExchange(conns[i % conns.length], INDEX_PROTOCOL, bytes, { deadline: 20_000 })))
    for (const r of results) {
      const { frames } = splitFrames(r.received)
      assert.equal(frames.length, 1, `${r.ending} ${r.error ?? ''}`)
      assert.equal(IndexResponse.decode(frames[0]).code, 'TOO_LARGE')
    }
    assert.deepEqual((await viewer.search('honest')).entries.map(e => e.name), ['honest.txt'])
    await until(() => targetStreams() <= 1, 'the oversized streams to be dropped')
    const grown = await settledHeap() - heapBefore
    assert.ok(grown < HEAP_MARGIN, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
  })

  it('a peer that asks and never reads is reset after the response timeout', async () => {
    // enough entries that each LIST answer is close to a full frame
    const filler = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const fileId = (await fileIdOf('filler')).bytes
    coord.service.store.announce(filler, { replace: true, entries: Array.from({ length: 3000 }, (_, i) => ({ name: `${String(i).padStart(5, '0')}-${'n'.repeat(900)}`, fileId, size: 1, mtime: 1 })) })
    const conn = await connection()
    const stream: Stream = await conn.newStream(INDEX_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
    stream.pause() // never read: the window closes and the coordinator's writes block
    for (let i = 0; i < 10; i++) stream.send(lpEncode(IndexRequest.encode({ type: IndexRequest.Type.LIST, limit: 2000 })))
    const t0 = Date.now()
    await until(() => stream.status !== 'open', 'the coordinator to reset the stream', 15 * RESPONSE_TIMEOUT)
    assert.ok(Date.now() - t0 >= RESPONSE_TIMEOUT - 50, 'reset before the response timeout')
    await stillServed()
    coord.service.store.announce(filler, { replace: true, entries: [] })
  })

  it(`${FLOOD_STREAMS} streams opened at once by one peer: at most ${MAX_STREAMS} served, the rest refused, others still served`, async () => {
    // a realistic idle timeout here: the flood starves this one process (both ends run in it)
    // for a second or two, and a 400 ms timer would fire before the honest request is read
    const busy = await scene.coordinator({ dataDir: await scene.tmpDir(), maxInboundStreams: MAX_STREAMS })
    const viewer = IndexClient.forNode(await scene.host(), busy.addr, { timeout: 10_000 })
    scene.defer(async () => { await viewer.close() })
    await viewer.announce({ replace: true, files: [await file('honest.txt')] })
    const served = async (): Promise<void> => {
      assert.deepEqual((await viewer.search('honest')).entries.map(e => e.name), ['honest.txt'])
    }
    const hostile = await hostileHost(fn => scene.defer(fn))
    const conn = await hostile.dial(busy.addr, { signal: AbortSignal.timeout(5_000) })
    const request = lpEncode(IndexRequest.encode({ type: IndexRequest.Type.SEARCH, query: 'honest' }))
    // one exchange first: streams opened before the coordinator set the connection up count as
    // "early" and yamux drops the whole connection past 10 of them (a defence of its own)
    await rawExchange(conn, INDEX_PROTOCOL, request, { deadline: 5_000 })
    const endings: Record<string, number> = {}
    const flood = Promise.all(Array.from({ length: FLOOD_STREAMS }, async () => {
      const r = await rawExchange(conn, INDEX_PROTOCOL, request, { deadline: 40_000 })
      endings[r.ending] = (endings[r.ending] ?? 0) + 1
    }))
    const during = (async () => { await sleep(50); await served() })()
    const busyStreams = (): number => (busy.service as any).streams.size
    const peak = await peakDuring(busyStreams, Promise.all([flood, during]))
    await flood
    await during
    console.log(`      ${FLOOD_STREAMS} streams: ${JSON.stringify(endings)}, at most ${peak} served at once`)
    assert.ok(peak <= MAX_STREAMS + 1, `${peak} streams served at once`)
    assert.equal(endings.hung, undefined, 'no stream left hanging')
    assert.ok((endings.closed ?? 0) > 0, 'some were answered')
    await until(() => busyStreams() <= 1, 'the flood streams to be dropped')
    await served()
  })
})
