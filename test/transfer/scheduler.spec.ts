import assert from 'node:assert/strict'
import { ChunkScheduler } from '../../src/transfer/scheduler.js'
import { streamPlan } from '../../src/transfer/shares.js'

/** Take everything `peer` may have right now. */
function drain (s: ChunkScheduler, peer: string): number[] {
  const out: number[] = []
  for (let i; (i = s.next(peer)) !== undefined;) out.push(i)
  return out
}

function finish (s: ChunkScheduler, peer: string, i: number): boolean {
  const first = s.received(peer, i, 100, 10)
  if (first) s.written(i)
  return first
}

describe('transfer/scheduler', () => {
  it('hands out chunks in order within the per-peer and global limits', () => {
    const s = new ChunkScheduler({ chunks: 10, perPeerInFlight: 3, maxInFlight: 5 })
    s.addPeer('a')
    s.addPeer('b')
    assert.deepEqual(drain(s, 'a'), [0, 1, 2])
    assert.deepEqual(drain(s, 'b'), [3, 4])
    assert.equal(s.inFlight, 5)
    // a received chunk still holds its global slot until it is written
    assert.equal(s.received('a', 0, 100, 10), true)
    assert.equal(s.next('b'), undefined)
    s.written(0)
    assert.equal(s.next('b'), 5)
  })

  it('spreads chunks over every provider', () => {
    const s = new ChunkScheduler({ chunks: 100, perPeerInFlight: 2 })
    const peers = ['a', 'b', 'c']
    peers.forEach(p => { s.addPeer(p) })
    const got: Record<string, number> = { a: 0, b: 0, c: 0 }
    while (!s.complete) {
      for (const p of peers) {
        const i = s.next(p)
        if (i !== undefined && finish(s, p, i)) got[p]++
      }
    }
    for (const p of peers) assert.ok(got[p] >= 30, `${p} got ${got[p]}`)
  })

  it('never hands out chunks that are already on disk', () => {
    const s = new ChunkScheduler({ chunks: 6, done: [0, 2, 3], perPeerInFlight: 10 })
    s.addPeer('a')
    assert.deepEqual(drain(s, 'a'), [1, 4, 5])
    assert.equal(s.done, 3)
  })

  it('a file without chunks is complete at once', () => {
    const s = new ChunkScheduler({ chunks: 0 })
    s.addPeer('a')
    assert.equal(s.complete, true)
    assert.equal(s.next('a'), undefined)
    assert.equal(s.stuck, false)
  })

  it('retries a failed chunk from another peer first', () => {
    const s = new ChunkScheduler({ chunks: 4, perPeerInFlight: 1 })
    s.addPeer('a')
    s.addPeer('b')
    assert.equal(s.next('a'), 0)
    s.failed('a', 0, 'timeout')
    // a gets fresh work, not the chunk it just failed
    assert.equal(s.next('a'), 1)
    // b picks up the failed chunk before fresh ones
    assert.equal(s.next('b'), 0)
  })

  it('gives the failed chunk back to the same peer only when no one else can try', () => {
    const s = new ChunkScheduler({ chunks: 1, perPeerInFlight: 1, maxAttemptsPerPeer: 2 })
    s.addPeer('a')
    assert.equal(s.next('a'), 0)
    s.failed('a', 0, 'error')
    assert.equal(s.next('a'), 0, 'second attempt: a is the only peer')
    s.failed('a', 0, 'error')
    assert.equal(s.next('a'), undefined, 'attempts exhausted')
    assert.equal(s.stuck, true)
    assert.deepEqual(s.unavailable(), [0])
  })

  it('bans a peer at once for a bad chunk and returns its requests to the pool', () => {
    const s = new ChunkScheduler({ chunks: 4, perPeerInFlight: 2 })
    s.addPeer('a')
    s.addPeer('b')
    assert.deepEqual(drain(s, 'a'), [0, 1])
    s.failed('a', 0, 'bad-data')
    assert.equal(s.isActive('a'), false)
    assert.equal(s.next('a'), undefined)
    assert.equal(s.stats().find(p => p.peer === 'a')?.state, 'banned')
    // both of a's chunks are back; b takes them before fresh ones
    assert.deepEqual(drain(s, 'b').sort(), [0, 1])
    // a late answer from the banned peer is discarded
    assert.equal(s.received('a', 1, 100, 10), false)
  })

  it('bans a peer after consecutive failures, and a success resets the count', () => {
    const s = new ChunkScheduler({ chunks: 20, perPeerInFlight: 1, maxFailures: 3 })
    s.addPeer('a')
    s.addPeer('b')
    for (let n = 0; n < 2; n++) s.failed('a', s.next('a') as number, 'timeout')
    finish(s, 'a', s.next('a') as number)
    for (let n = 0; n < 2; n++) s.failed('a', s.next('a') as number, 'timeout')
    assert.equal(s.isActive('a'), true)
    s.failed('a', s.next('a') as number, 'error')
    assert.equal(s.isActive('a'), false)
    assert.match(s.stats().find(p => p.peer === 'a')?.reason ?? '', /3 failures/)
  })

  it('NOT_FOUND drops the peer; cancelled requests are not held against it', () => {
    const s = new ChunkScheduler({ chunks: 4, perPeerInFlight: 2, maxFailures: 1 })
    s.addPeer('a')
    s.addPeer('b')
    const [x] = drain(s, 'a')
    s.failed('a', x, 'cancelled')
    assert.equal(s.isActive('a'), true)
    s.failed('b', s.next('b') as number, 'not-found')
    assert.equal(s.isActive('b'), false)
  })

  it('a removed peer gives back its chunks; with no peers left the rest is unavailable', () => {
    const s = new ChunkScheduler({ chunks: 3, perPeerInFlight: 2 })
    s.addPeer('a')
    assert.deepEqual(drain(s, 'a'), [0, 1])
    finish(s, 'a', 0)
    s.removePeer('a', 'connection lost')
    assert.equal(s.inFlight, 0)
    assert.deepEqual(s.unavailable(), [1, 2])
    assert.equal(s.stuck, true)
  })

  it('endgame: an idle peer duplicates the oldest chunk in flight; the first copy wins', () => {
    let now = 0
    const s = new ChunkScheduler({ chunks: 3, perPeerInFlight: 3, endgameCopies: 2, now: () => now++ })
    s.addPeer('slow')
    s.addPeer('fast')
    assert.deepEqual(drain(s, 'slow'), [0, 1, 2])
    // nothing missing: fast duplicates in-flight chunks, oldest first, one copy each
    assert.deepEqual(drain(s, 'fast'), [0, 1, 2])
    assert.equal(finish(s, 'fast', 0), true)
    assert.equal(finish(s, 'slow', 0), false, 'the second copy is discarded')
    // a failed duplicate does not put a chunk back that the other copy is still fetching
    s.failed('fast', 1, 'error')
    assert.equal(s.missing, 0)
    assert.equal(finish(s, 'slow', 1), true)
    assert.equal(finish(s, 'fast', 2), true)
    assert.equal(finish(s, 'slow', 2), false)
    assert.equal(s.complete, true)
    assert.equal(s.stats().find(p => p.peer === 'fast')?.chunks, 2)
  })

  it('keeps a throughput average per peer', () => {
    const s = new ChunkScheduler({ chunks: 4, perPeerInFlight: 4 })
    s.addPeer('a')
    drain(s, 'a')
    s.received('a', 0, 1000, 1000)
    s.received('a', 1, 4000, 1000)
    const rate = s.stats()[0].rate
    assert.ok(rate > 1000 && rate < 4000, `rate ${rate}`)
  })

  it('streamPlan: more providers split the requests in flight instead of multiplying them', () => {
    assert.deepEqual(streamPlan(1, 4, 2), { streams: 4, perPeerInFlight: 8, totalInFlight: 8 })
    // one provider may take all but one request per other provider, with streams to carry them
    assert.deepEqual(streamPlan(2, 4, 2), { streams: 4, perPeerInFlight: 7, totalInFlight: 8 })
    assert.deepEqual(streamPlan(3, 4, 2), { streams: 3, perPeerInFlight: 6, totalInFlight: 8 })
    assert.deepEqual(streamPlan(4, 4, 2), { streams: 3, perPeerInFlight: 5, totalInFlight: 8 })
    // every provider keeps one stream with its pipeline, however many there are
    assert.deepEqual(streamPlan(20, 4, 2), { streams: 1, perPeerInFlight: 2, totalInFlight: 8 })
    // a file of one or three chunks: one or two streams, however many are allowed
    assert.deepEqual(streamPlan(1, 4, 2, 1), { streams: 1, perPeerInFlight: 8, totalInFlight: 8 })
    assert.deepEqual(streamPlan(1, 4, 2, 3), { streams: 2, perPeerInFlight: 8, totalInFlight: 8 })
    assert.deepEqual(streamPlan(3, 4, 2, 1), { streams: 1, perPeerInFlight: 6, totalInFlight: 8 })
    // the configured streams stay the most per provider
    assert.deepEqual(streamPlan(1, 1, 2), { streams: 1, perPeerInFlight: 2, totalInFlight: 2 })
    for (let n = 1; n <= 8; n++) {
      const p = streamPlan(n)
      assert.equal(p.totalInFlight, 8)
      assert.ok(p.streams * 2 >= p.perPeerInFlight, `${n} providers: the streams can carry the requests`)
    }
  })

  it('three providers at the planned limit share the download and never exceed one provider\'s requests in flight', () => {
    const plan = streamPlan(3)
    const s = new ChunkScheduler({ chunks: 300, perPeerInFlight: plan.perPeerInFlight, totalInFlight: plan.totalInFlight })
    const peers = ['a', 'b', 'c']
    peers.forEach(p => { s.addPeer(p) })
    let most = 0
    const got: Record<string, number> = { a: 0, b: 0, c: 0 }
    while (!s.complete) {
      const taken = peers.map(p => drain(s, p))
      most = Math.max(most, s.inFlight)
      taken.forEach((is, k) => { for (const i of is) if (finish(s, peers[k], i)) got[peers[k]]++ })
    }
    assert.ok(most <= streamPlan(1).totalInFlight, `${most} in flight at once`)
    // equal speeds: 8 requests as 3, 3 and 2
    for (const p of peers) assert.ok(got[p] >= 70, `${p} fetched ${got[p]}`)
  })

  it('shares the requests in flight by measured speed, at least one each', () => {
    const s = new ChunkScheduler({ chunks: 1000, perPeerInFlight: 7, totalInFlight: 8 })
    const held: Record<string, number[]> = { fast: [], slow: [] }
    for (const p of ['fast', 'slow']) s.addPeer(p)
    for (const p of ['fast', 'slow']) held[p].push(...drain(s, p))
    assert.deepEqual([held.fast.length, held.slow.length], [4, 4], 'unmeasured: alike')
    // each answers its oldest request: fast 1 MB in 10 ms, slow in 100 ms
    for (let k = 0; k < 30; k++) {
      for (const [peer, ms] of [['fast', 10], ['slow', 100]] as const) {
        const i = held[peer].shift()
        if (i !== undefined && s.received(peer, i, 1_000_000, ms)) s.written(i)
        held[peer].push(...drain(s, peer))
      }
      assert.ok(s.inFlight <= 8, `${s.inFlight} in flight`)
    }
    assert.equal(s.shareOf('slow'), 1)
    assert.equal(s.shareOf('fast'), 7)
    assert.deepEqual([held.fast.length, held.slow.length], [7, 1])
  })

  it('endgame: a duplicate goes only to a peer no slower than the holder; the slower copy is no longer wanted', () => {
    const s = new ChunkScheduler({ chunks: 3, perPeerInFlight: 1 })
    for (const p of ['fast', 'slow']) s.addPeer(p)
    assert.equal(s.next('fast'), 0)
    assert.equal(s.next('slow'), 1)
    assert.equal(finish(s, 'fast', 0), true) // 100 bytes in 10 ms
    assert.equal(s.next('fast'), 2)
    assert.equal(s.received('slow', 1, 100, 100), true) // ten times slower
    s.written(1)
    assert.equal(s.next('slow'), undefined, 'slow would only add traffic to fast\'s last chunk')
    s.addPeer('new')
    assert.equal(s.next('new'), 2, 'an unmeasured peer may try')
    assert.equal(s.wanted(2), true)
    assert.equal(finish(s, 'new', 2), true)
    assert.equal(s.wanted(2), false, 'fast\'s copy is of no use now')
    assert.equal(s.complete, true)
  })
})
