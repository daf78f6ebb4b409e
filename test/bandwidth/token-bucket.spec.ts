import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { TokenBucket } from '../../src/bandwidth/token-bucket.js'
import { Bandwidth } from '../../src/bandwidth/bandwidth.js'
import { parseRate, formatRate } from '../../src/bandwidth/rate.js'
import { InvalidRateError } from '../../src/bandwidth/errors.js'

const KiB = 1024
const MiB = 1024 * 1024

/** Bytes through `bucket` in `piece`-sized takes for `ms`, by `workers` takers at once. */
async function pump (bucket: TokenBucket, ms: number, piece: number, workers = 1): Promise<{ bytes: number, seconds: number }> {
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
