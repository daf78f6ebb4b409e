import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { TokenBucket } from '../../src/bandwidth/token-bucket.js'
import { Bandwidth } from '../../src/bandwidth/bandwidth.js'
import { parseRate, formatRate } from '../../src/bandwidth/rate.js'
import { InvalidRateError } from '../../src/bandwidth/errors.js'
import type { RateLimiter } from '../../src/bandwidth/token-bucket.js'

const KiB = 1024
const MiB = 1024 * 1024

/** Bytes through `bucket` in `piece`-sized takes for `ms`, by `workers` takers at once. */
async function pump (bucket: RateLimiter, ms: number, piece: number, workers = 1): Promise<{ bytes: number, seconds: number }> {
  const start = performance.now()
  let bytes = 0
  await Promise.all(Array.from({ length: workers }, async () => {
    while (performance.now() - start < ms) {
      await bucket.take(piece)
      bytes += piece
    }
  }))
  return { bytes, seconds: (performance.now() - start) / 1000 }
}

describe('bandwidth: token bucket', function () {
  this.timeout(30_000)

  it('holds its rate within 15% over 2 s, with several takers and pieces larger than the burst', async () => {
    const bucket = new TokenBucket(1 * MiB)
    const { bytes, seconds } = await pump(bucket, 2_000, 160 * KiB, 4)
    const rate = bytes / seconds
    assert.ok(Math.abs(rate - MiB) / MiB < 0.15, `rate ${(rate / MiB).toFixed(3)} MiB/s, expected 1 MiB/s`)
  })

  it('rate 0 lets everything through at once', async () => {
    const bucket = new TokenBucket(0)
    const { bytes } = await pump(bucket, 50, 16 * MiB)
    assert.ok(bytes > 100 * MiB, `only ${bytes} bytes in 50 ms`)
  })

  it('a rate change reaches a taker already waiting', async () => {
    const bucket = new TokenBucket(16 * KiB) // 16 KiB/s: a 1 MiB debt takes a minute to pay off
    await bucket.take(MiB)
    let done = false
    const waiting = bucket.take(KiB).then(() => { done = true })
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(done, false, 'still waiting at 16 KiB/s')
    bucket.setRate(0)
    await waiting
    assert.equal(bucket.rate, 0)
  })

  it('an aborted take rejects with the reason and does not hold the queue', async () => {
    const bucket = new TokenBucket(16 * KiB)
    await bucket.take(MiB)
    const controller = new AbortController()
    const waiting = bucket.take(KiB, controller.signal)
    controller.abort(new Error('stopped here'))
    await assert.rejects(waiting, { message: 'stopped here' })
    bucket.setRate(0)
    await bucket.take(KiB) // nothing left queued in front
  })

  it('the local network is exempt unless limitLan', () => {
    const lan = { remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/4001') }
    const private10 = { remoteAddr: multiaddr('/ip4/10.1.2.3/tcp/4001') }
    const linkLocal = { remoteAddr: multiaddr('/ip6/fe80::1/tcp/4001') }
    const wan = { remoteAddr: multiaddr('/ip4/8.8.8.8/tcp/4001') }
    const bw = new Bandwidth({ upload: MiB, download: 2 * MiB, limitLan: false })
    for (const c of [lan, private10, linkLocal]) {
      assert.equal(bw.uploadFor(c), undefined, c.remoteAddr.toString())
      assert.equal(bw.downloadFor(c), undefined, c.remoteAddr.toString())
    }
    assert.equal(bw.uploadFor(wan), bw.upload)
    assert.equal(bw.downloadFor(wan), bw.download)
    bw.set({ limitLan: true })
    assert.equal(bw.uploadFor(lan), bw.upload)
    assert.deepEqual(bw.set({ upload: 0 }), { upload: 0, download: 2 * MiB, limitLan: true })
  })
})

describe('bandwidth: per-peer limits', function () {
  this.timeout(30_000)
  const wan = multiaddr('/ip4/8.8.8.8/tcp/4001')
  const end = (peer: string): { remoteAddr: typeof wan, remotePeer: string } => ({ remoteAddr: wan, remotePeer: peer })
  const near = (rate: number, expected: number, what: string): void => {
    assert.ok(Math.abs(rate - expected) / expected < 0.15, `${what}: ${(rate / KiB).toFixed(0)} KiB/s, expected ${(expected / KiB).toFixed(0)} KiB/s ±15%`)
  }

  it('each peer gets its own rate over all its streams, and the node limit still caps the sum', async () => {
    const bw = new Bandwidth({ upload: 0, download: 0, limitLan: false, perPeer: { upload: 256 * KiB } })
    // peer a on two streams, peer b on one: a's two share its 256 KiB/s
    const [a1, a2, b] = [bw.uploadFor(end('a')), bw.uploadFor(end('a')), bw.uploadFor(end('b'))] as RateLimiter[]
    const [ra1, ra2, rb] = await Promise.all([pump(a1, 2_000, 16 * KiB), pump(a2, 2_000, 16 * KiB), pump(b, 2_000, 16 * KiB)])
    near((ra1.bytes + ra2.bytes) / ra1.seconds, 256 * KiB, 'peer a, two streams')
    near(rb.bytes / rb.seconds, 256 * KiB, 'peer b')
    // the node's own limit below the sum of the peers' holds for them together
    bw.set({ upload: 384 * KiB })
    const [x, y] = await Promise.all([pump(bw.uploadFor(end('a')) as RateLimiter, 2_000, 16 * KiB), pump(bw.uploadFor(end('b')) as RateLimiter, 2_000, 16 * KiB)])
    near((x.bytes + y.bytes) / x.seconds, 384 * KiB, 'a and b under the node limit')
    // downloads are not limited by an upload-only per-peer setting
    const { bytes } = await pump(bw.downloadFor(end('a')) as RateLimiter, 50, 16 * MiB)
    assert.ok(bytes > 100 * MiB, `download passed only ${bytes} bytes in 50 ms`)
  })

  it('a per-peer change reaches streams already running; limits show perPeer only while set; a bad rate changes nothing', async () => {
    const bw = new Bandwidth({ upload: 0, download: 0, limitLan: false })
    assert.deepEqual(bw.limits, { upload: 0, download: 0, limitLan: false })
    const running = bw.downloadFor(end('a')) as RateLimiter
    assert.deepEqual(bw.set({ perPeer: { download: 128 * KiB } }), { upload: 0, download: 0, limitLan: false, perPeer: { upload: 0, download: 128 * KiB } })
    const r = await pump(running, 2_000, 16 * KiB)
    near(r.bytes / r.seconds, 128 * KiB, 'a stream started before the change')
    assert.throws(() => bw.set({ perPeer: { upload: -1 }, download: MiB }), { name: 'RangeError', message: /bad rate -1/ })
    assert.deepEqual(bw.limits, { upload: 0, download: 0, limitLan: false, perPeer: { upload: 0, download: 128 * KiB } })
    assert.deepEqual(bw.set({ perPeer: { download: 0 } }), { upload: 0, download: 0, limitLan: false })
    // the local network stays exempt from per-peer limits too unless limitLan
    bw.set({ perPeer: { download: KiB } })
    assert.equal(bw.downloadFor({ remoteAddr: multiaddr('/ip4/192.168.1.2/tcp/1'), remotePeer: 'lan' }), undefined)
  })
})

describe('bandwidth: RATE', () => {
  it('parses sizes with binary and decimal units, per second or not', () => {
    assert.equal(parseRate('4MiB'), 4 * MiB)
    assert.equal(parseRate('500KiB'), 500 * KiB)
    assert.equal(parseRate('2.5 MB/s'), 2_500_000)
    assert.equal(parseRate('1M'), MiB)
    assert.equal(parseRate('1048576'), MiB)
    assert.equal(parseRate(0), 0)
    assert.equal(parseRate('0'), 0)
    assert.equal(formatRate(2 * MiB), '2 MiB/s')
    assert.equal(formatRate(0), 'none')
  })

  it('refuses what is not a rate with a one-line InvalidRateError', () => {
    for (const bad of ['', 'fast', '-1', '4XB', '1e9', '2 MiB per s', '5TiB', -5, Number.NaN]) {
      assert.throws(() => parseRate(bad as any), (err: any) => err instanceof InvalidRateError && !String(err.message).includes('\n'), String(bad))
    }
  })
})
