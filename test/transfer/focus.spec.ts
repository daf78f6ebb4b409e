import assert from 'node:assert/strict'
import { ProviderFocus } from '../../src/transfer/focus.js'
import { FOCUS_BUSY, FOCUS_MEMORY, FOCUS_SPARE, FOCUS_STREAK } from '../../src/transfer/constants.js'
import { ChunkScheduler } from '../../src/transfer/scheduler.js'
import { download } from '../../src/transfer/downloader.js'
import { TokenBucket } from '../../src/bandwidth/token-bucket.js'
import type { RateLimiter } from '../../src/bandwidth/token-bucket.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from './helpers.js'
import { join } from 'node:path'
import type { TestProvider } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Connection } from '@libp2p/interface'

const MiB = 1024 * 1024

const BUSY = 1
const SPARE = 0
const BETWEEN = (FOCUS_BUSY + FOCUS_SPARE) / 2

/** Feed `n` windows with the same figures; the count after the last. */
function feed (f: ProviderFocus, n: number, busy: number, rate: number, providers = 3): number {
  let k = f.count
  for (let i = 0; i < n; i++) k = f.sample({ busy, rate, providers })
  return k
}

describe('transfer/focus: how many providers a download fetches from', () => {
  it('starts from one provider and stays there while the machine is busy or in between', () => {
    const f = new ProviderFocus()
    assert.equal(f.sample({ busy: BUSY, rate: 100, providers: 3 }), 1)
    assert.equal(feed(f, 10, BUSY, 100), 1)
    assert.equal(feed(f, 10, BETWEEN, 100), 1)
  })

  it('widens from the start while there is CPU to spare: twice as many providers each time', () => {
    const f = new ProviderFocus()
    assert.equal(feed(f, FOCUS_STREAK - 1, SPARE, 10, 8), 1, 'not before a streak')
    assert.equal(feed(f, 1, SPARE, 10, 8), 2, 'the first window counts: it ran on one provider')
    assert.equal(feed(f, FOCUS_STREAK, SPARE, 20, 8), 2, 'the window after a change is not counted')
    assert.equal(feed(f, 1, SPARE, 20, 8), 4)
    assert.equal(feed(f, 1 + FOCUS_STREAK, SPARE, 40, 8), 8)
    assert.equal(feed(f, 10, SPARE, 80, 8), 8, 'never more than there are')
    const g = new ProviderFocus()
    assert.equal(feed(g, 1 + FOCUS_STREAK + FOCUS_STREAK, SPARE, 10, 3), 3, 'two, then all three (not four)')
  })

  it('busy for FOCUS_MEMORY windows on one provider, tries two once: back to one if two are no faster, else two', () => {
    const f = new ProviderFocus()
    assert.equal(feed(f, FOCUS_MEMORY, BUSY, 100), 1, 'not before FOCUS_MEMORY windows')
    assert.equal(feed(f, 1, BUSY, 100), 2, 'then two, once')
    assert.equal(feed(f, 1 + FOCUS_STREAK, BUSY, 100), 1, 'two no faster: back to one')
    assert.equal(feed(f, FOCUS_MEMORY, BUSY, 100), 1, 'two measured lately: no second try yet')
    // the provider started from was a slow one: two are faster, and stay
    const g = new ProviderFocus()
    assert.equal(feed(g, FOCUS_MEMORY + 1, BUSY, 20), 2)
    assert.equal(feed(g, 1 + FOCUS_MEMORY, BUSY, 100), 2)
  })

  it('the first windows are not held against one provider: a slow start widens, and busy narrows back', () => {
    const f = new ProviderFocus()
    assert.equal(feed(f, FOCUS_STREAK, SPARE, 10), 2, 'a stall at the start: two')
    assert.equal(feed(f, 1 + FOCUS_STREAK, BUSY, 100), 1, 'one was never measured after the start')
    assert.equal(feed(f, 10, BUSY, 100), 1)
  })

  it('an idle machine waiting for its disk is no CPU to spare: no wider, and that rate is not kept', () => {
    const f = new ProviderFocus()
    assert.equal(feed(f, FOCUS_STREAK + 1, BUSY, 100), 1)
    for (let i = 0; i < 10; i++) assert.equal(f.sample({ busy: SPARE, rate: 5, providers: 3, heldBack: true }), 1)
    assert.equal(feed(f, FOCUS_STREAK, SPARE, 100), 2, 'the providers were the limit after all')
    assert.equal(feed(f, 1 + FOCUS_STREAK, BUSY, 100), 1, 'one was measured at 100, not 5')
  })

  it('a start from all of them keeps them while the machine has CPU to spare or is in between', () => {
    const f = new ProviderFocus(Infinity)
    assert.equal(f.sample({ busy: SPARE, rate: 100, providers: 3 }), 3)
    assert.equal(feed(f, 10, SPARE, 100), 3)
    assert.equal(feed(f, 10, BETWEEN, 100), 3)
  })

  it('narrows to one provider after FOCUS_STREAK busy windows, not before', () => {
    const f = new ProviderFocus(Infinity)
    assert.equal(feed(f, FOCUS_STREAK - 1, BUSY, 100), 3)
    assert.equal(feed(f, 1, BUSY, 100), 1)
    // one busy window between others does not count as a streak
    const g = new ProviderFocus(Infinity)
    for (let i = 0; i < 10; i++) {
      assert.equal(g.sample({ busy: i % 2 === 0 ? BUSY : BETWEEN, rate: 100, providers: 3 }), 3)
    }
  })

  it('ignores the window after a change, then widens while there is CPU to spare', () => {
    const f = new ProviderFocus(Infinity)
    assert.equal(feed(f, FOCUS_STREAK, BUSY, 100), 1)
    assert.equal(feed(f, 1, SPARE, 40), 1, 'the window after the change is not counted')
    assert.equal(feed(f, FOCUS_STREAK - 1, SPARE, 40), 1)
    assert.equal(feed(f, 1, SPARE, 40), 2)
    assert.equal(feed(f, 1 + FOCUS_STREAK, SPARE, 80), 3)
    assert.equal(feed(f, 10, SPARE, 100), 3, 'never more than there are')
  })

  it('does not go back to a count measured clearly slower: no flapping when fewer providers cannot keep up', () => {
    const f = new ProviderFocus(Infinity)
    assert.equal(feed(f, FOCUS_STREAK, BUSY, 100), 1) // all three: 100, busy
    assert.equal(feed(f, 1 + FOCUS_STREAK, SPARE, 40), 2) // one alone: 40, CPU to spare
    assert.equal(feed(f, 1 + FOCUS_STREAK, BETWEEN, 80), 2) // two: 80, in between: kept
    assert.equal(feed(f, 10, BETWEEN, 80), 2)
    // busy with two: one was measured at 40 (< 0.9 x 80): stays at two
    assert.equal(feed(f, 10, BUSY, 80), 2)
    // until that measure is FOCUS_MEMORY windows old (it is 22 counted windows old now): a
    // stall may have made one look slow
    assert.equal(feed(f, FOCUS_MEMORY - 22, BUSY, 80), 2)
    assert.equal(feed(f, 1, BUSY, 80), 1, 'one is tried again')
  })

  it('narrows to the fewest providers not measured slower', () => {
    const f = new ProviderFocus(Infinity)
    assert.equal(feed(f, FOCUS_STREAK, BUSY, 100), 1)
    assert.equal(feed(f, 1 + FOCUS_STREAK, SPARE, 50), 2)
    assert.equal(feed(f, 1 + FOCUS_STREAK, SPARE, 100), 3)
    // busy again with three at 100: one (50) is slower, two (100) is not
    assert.equal(feed(f, 1 + FOCUS_STREAK, BUSY, 100), 2)
  })

  it('a provider leaving or joining keeps the count (no more than there are); reset() brings the reserve back', () => {
    const f = new ProviderFocus()
    assert.equal(feed(f, 10, BUSY, 100, 4), 1)
    // a stale provider that could not be dialled left: still one
    assert.equal(f.sample({ busy: BUSY, rate: 100, providers: 3 }), 1)
    assert.equal(feed(f, 10, BUSY, 100), 1)
    f.reset()
    assert.equal(f.count, 3)
    assert.equal(feed(f, 1 + FOCUS_STREAK, BUSY, 100), 1, 'and narrows again while busy')
    const w = new ProviderFocus(Infinity)
    assert.equal(feed(w, 1, SPARE, 100, 3), 3)
    assert.equal(w.sample({ busy: SPARE, rate: 100, providers: 2 }), 2, 'never more than there are')
    // one provider: nothing to decide
    const g = new ProviderFocus(Infinity)
    assert.equal(feed(g, 10, BUSY, 100, 1), 1)
  })
})

describe('transfer/scheduler: providers in reserve', () => {
  function three (): ChunkScheduler {
    const s = new ChunkScheduler({ chunks: 100, perPeerInFlight: 6, totalInFlight: 8 })
    for (const p of ['a', 'b', 'c']) s.addPeer(p)
    return s
  }

  it('a provider in reserve gets no new request; the focused one may take every request in flight', () => {
    const s = three()
    s.reserve.focus(['b'])
    assert.deepEqual(s.reserve.focused, ['b'])
    assert.equal(s.next('a'), undefined)
    assert.equal(s.next('c'), undefined)
    let n = 0
    while (s.next('b') !== undefined) n++
    assert.equal(n, 6, 'its per-peer limit, not a share kept back for the reserve')
    assert.equal(s.isActive('a'), true, 'in reserve, not dropped')
  })

  it('focusing on every active provider (or none) is no focus', () => {
    const s = three()
    s.reserve.focus(['a', 'b', 'c'])
    assert.equal(s.reserve.focused, undefined)
    s.reserve.focus([])
    assert.equal(s.reserve.focused, undefined)
    s.reserve.focus(['x'])
    assert.equal(s.reserve.focused, undefined, 'an unknown peer is not a focus')
  })

  it('a failed request or a provider leaving brings the reserve back', () => {
    const s = three()
    s.reserve.focus(['b'])
    const i = s.next('b') as number
    s.failed('b', i, 'cancelled')
    assert.deepEqual(s.reserve.focused, ['b'], 'our own cancel changes nothing')
    const j = s.next('b') as number
    s.failed('b', j, 'timeout')
    assert.equal(s.reserve.focused, undefined)
    assert.notEqual(s.next('a'), undefined)
    s.reserve.focus(['c'])
    s.removePeer('c', 'gone')
    assert.equal(s.reserve.focused, undefined)
    assert.notEqual(s.next('b'), undefined)
  })

  it('tells whoever waits for it when the focus changes, and only then', () => {
    let changes = 0
    const s = new ChunkScheduler({ chunks: 100, perPeerInFlight: 6, totalInFlight: 8, onFocusChange: () => { changes++ } })
    for (const p of ['a', 'b', 'c']) s.addPeer(p)
    s.reserve.focus(['b'])
    assert.equal(changes, 1)
    assert.equal(s.reserve.holds('a'), true)
    assert.equal(s.reserve.holds('b'), false)
    const i = s.next('b') as number
    s.failed('b', i, 'cancelled')
    s.removePeer('a', 'dial failed')
    assert.equal(changes, 1, 'our own cancel and a reserve leaving change nothing')
    const j = s.next('b') as number
    s.failed('b', j, 'timeout')
    assert.equal(changes, 2, 'a failure ends the focus')
    assert.equal(s.reserve.holds('c'), false)
    s.reserve.focus(undefined)
    assert.equal(changes, 2, 'no focus to end')
  })

  it('a provider in reserve leaving (a stale one that cannot be dialled) keeps the focus', () => {
    const s = three()
    s.reserve.focus(['b'])
    s.removePeer('a', 'dial failed')
    assert.deepEqual(s.reserve.focused, ['b'])
    assert.equal(s.next('c'), undefined, 'c is still in reserve')
    s.removePeer('c', 'dial failed')
    assert.equal(s.reserve.focused, undefined, 'b alone is every provider left')
    assert.notEqual(s.next('b'), undefined)
  })

  it('the chunks of a provider in reserve that leaves go to the one in use', () => {
    const s = three()
    const i = s.next('a') as number
    s.reserve.focus(['b'])
    s.removePeer('a', 'gone')
    assert.equal(s.next('b'), i)
  })

  it('is held back while chunks waiting for the disk fill the in-flight limit', () => {
    const s = new ChunkScheduler({ chunks: 10, maxInFlight: 2 })
    s.addPeer('a')
    const i = s.next('a') as number
    const j = s.next('a') as number
    assert.equal(s.heldBack, false, 'two requests in flight: waiting for the provider')
    s.received('a', i, 1, 1)
    s.received('a', j, 1, 1)
    assert.equal(s.heldBack, true, 'two chunks waiting for the disk')
    s.written(i)
    assert.equal(s.heldBack, false)
  })

  it('a chunk only the reserve could still fetch is not stuck', () => {
    const s = new ChunkScheduler({ chunks: 1, maxAttemptsPerPeer: 1 })
    s.addPeer('a')
    s.addPeer('b')
    s.reserve.focus(['a'])
    const i = s.next('a') as number
    s.failed('a', i, 'error')
    assert.equal(s.stuck, false)
    assert.equal(s.next('b'), i, 'b, no longer in reserve, takes it')
  })
})

describe('transfer/downloader: fewer providers while this machine is busy', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  let providers: TestProvider[]
  let client: Host
  let src: string

  before(async () => {
    src = await tempDir(cleanup)
    providers = await Promise.all([1, 2, 3].map(async () => await makeProvider(cleanup)))
    client = await makeHost(cleanup)
  })
  after(async () => { await cleanup.run() })

  async function shared (name: string, size: number, on: TestProvider[]): Promise<SharedFile> {
    const file = await shareFile(await randomFile(join(src, name), size), name)
    for (const p of on) p.source.add(file)
    return file
  }

  /** Each provider's connection held to its rate (bytes/s), so the download lasts long enough
   * for the focus to act whatever this machine's speed. */
  function limits (rates: Map<string, number>): (conn: Connection) => TokenBucket {
    const buckets = new Map<string, TokenBucket>()
    return conn => {
      const peer = conn.remotePeer.toString()
      let b = buckets.get(peer)
      if (b == null) buckets.set(peer, b = new TokenBucket(rates.get(peer) ?? 0))
      return b
    }
  }

  const count = (r: { chunksFromPeer: Record<string, number> }, p: TestProvider): number => r.chunksFromPeer[p.info.peerId] ?? 0

  /** A download of `size` bytes from the three providers, each held to 8 MiB/s, with the
   * machine's load as given; the file is checked byte for byte. */
  async function fromAll (name: string, size: number, options: { load: () => number, focus?: boolean }): Promise<{ counts: number[], chunks: number, failed: Record<string, string>, summary: string }> {
    const file = await shared(name, size, providers)
    const rates = new Map(providers.map(p => [p.info.peerId, 8 * MiB]))
    const r = await download({
      node: client,
      fileId: file.fileId,
      name: file.name,
      providers: providers.map(p => p.info),
      outDir: await tempDir(cleanup),
      limiter: limits(rates),
      ...options
    })
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    const counts = providers.map(p => count(r, p))
    return { counts, chunks: file.manifest.chunks, failed: r.failedPeers, summary: `${counts.join(', ')} of ${file.manifest.chunks} chunks` }
  }

  it('a machine always busy fetches from one provider; the others stay in reserve and are not failed', async () => {
    const r = await fromAll('busy.bin', 32 * MiB, { load: () => 1 })
    assert.ok(Math.max(...r.counts) >= 0.6 * r.chunks, `one provider served most chunks: ${r.summary}`)
    assert.deepEqual(r.failed, {})
  })

  it('with CPU to spare every provider is used', async () => {
    const r = await fromAll('spare.bin', 32 * MiB, { load: () => 0 })
    assert.ok(Math.min(...r.counts) >= r.chunks / 6, r.summary)
  })

  it('focus: false uses every provider however busy the machine', async () => {
    const r = await fromAll('nofocus.bin', 24 * MiB, { load: () => 1, focus: false })
    assert.ok(Math.min(...r.counts) >= r.chunks / 6, r.summary)
  })

  it('the reserve takes over when the provider in use vanishes', async () => {
    const [a, b] = await Promise.all([makeProvider(cleanup), makeProvider(cleanup)])
    const file = await shared('takeover.bin', 24 * MiB, [a, b])
    const rates = new Map([[a.info.peerId, 12 * MiB], [b.info.peerId, 12 * MiB]])
    // bytes each provider's connection let through: the one in use is the one that served most
    const served = new Map<string, number>()
    const limit = limits(rates)
    const counting = (conn: Connection): RateLimiter => {
      const bucket = limit(conn)
      const peer = conn.remotePeer.toString()
      return {
        pieceBytes: max => bucket.pieceBytes(max),
        take: async (bytes, signal) => {
          served.set(peer, (served.get(peer) ?? 0) + bytes)
          await bucket.take(bytes, signal)
        }
      }
    }
    let stopped: TestProvider | undefined
    const r = await download({
      node: client,
      fileId: file.fileId,
      name: file.name,
      providers: [a.info, b.info],
      outDir: await tempDir(cleanup),
      limiter: counting,
      load: () => 1,
      progressInterval: 5,
      onProgress: e => {
        if (stopped == null && e.bytesDone > file.size / 3) {
          stopped = (served.get(a.info.peerId) ?? 0) >= (served.get(b.info.peerId) ?? 0) ? a : b
          for (const conn of stopped.host.getConnections()) conn.abort(new Error('provider vanished'))
          void stopped.host.stop()
        }
      }
    })
    assert.ok(stopped != null, 'the provider in use was stopped during the download')
    const reserve = stopped === a ? b : a
    assert.equal(await sha256File(r.path), await sha256File(file.path))
    assert.ok(count(r, stopped) >= file.manifest.chunks / 3 - 2, `the one in use served the first third: ${JSON.stringify(r.chunksFromPeer)}`)
    assert.ok(count(r, reserve) > file.manifest.chunks / 3, `the reserve finished the file: ${JSON.stringify(r.chunksFromPeer)}`)
  })
})
