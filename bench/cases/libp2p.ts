// A bare libp2p stream between two processes: TCP + Noise + yamux with fsnode's yamux settings
// and no fsnode code. The stack's limit, one stream and eight; one stream again with the V8 heap
// setting fsnode's commands use (src/util/heap.ts), so that its share of fsnode's speed shows.
import { BENCH_DIST, spawnScript, runScript } from '../lib/proc.js'
import { PeakRss } from '../lib/rss.js'
import { formatSize, mbps } from '../lib/units.js'
import { SEND_BLOCK } from '../lib/blocks.js'
import { WRITE_HIGH_WATER, YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW } from '../lib/libp2p-host.js'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { HEAP_FLAGS } from '../../src/util/heap.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const READY_TIMEOUT_MS = 30_000
/** Node options that apply fsnode's heap setting before the script loads (see lib/tune-heap.ts). */
const TUNED = ['--import', pathToFileURL(join(BENCH_DIST, 'lib', 'tune-heap.js')).href]
const MANY_STREAMS = 8

interface ClientResult { bytes: number, streams: number, seconds: number, connectMs: number, rssConnectedMb: number, peakRssMb: number }

export const libp2pCase: BenchCase = {
  name: 'libp2p',
  title: 'bare libp2p stream (TCP + Noise + yamux), two processes',
  aliases: ['bare-libp2p'],
  metrics: [
    { key: 'mbps1', label: '1 stream', unit: 'MB/s', better: 'higher', throughput: true, reference: 'libp2p' },
    { key: 'mbps8', label: `${MANY_STREAMS} streams`, unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'mbps1Tuned', label: '1 stream, fsnode\'s heap setting', unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'mbps1Cipher', label: '1 stream, fsnode\'s heap setting and noise cipher', unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'rssIdle', label: 'receiver RSS once connected', unit: 'MB', better: 'lower' },
    { key: 'rssReceiver', label: 'receiver peak RSS, 1 stream', unit: 'MB', better: 'lower' },
    { key: 'rssSender', label: 'sender peak RSS, 1 stream', unit: 'MB', better: 'lower' },
    { key: 'rssReceiverTuned', label: 'receiver peak RSS, 1 stream, fsnode\'s heap setting', unit: 'MB', better: 'lower' }
  ],
  async prepare (ctx) {
    const bytes = ctx.profile.transferBytes
    const server = spawnScript('scripts/libp2p-server')
    const { addr } = await server.next<{ addr: string }>('ready', READY_TIMEOUT_MS)
    // the same stack with the V8 setting fsnode's commands run with (src/util/heap.ts), both sides
    const tunedServer = spawnScript('scripts/libp2p-server', [], { nodeArgs: TUNED })
    const tuned = await tunedServer.next<{ addr: string }>('ready', READY_TIMEOUT_MS)
    // and with fsnode's noise cipher too (src/host/noise-crypto.ts), both sides
    const cipherServer = spawnScript('scripts/libp2p-server', ['--noise', 'fsnode'], { nodeArgs: TUNED })
    const cipher = await cipherServer.next<{ addr: string }>('ready', READY_TIMEOUT_MS)
    const receive = async (streams: number, variant: 'stock' | 'tuned' | 'cipher' = 'stock'): Promise<ClientResult> => {
      const from = variant === 'stock' ? server : variant === 'tuned' ? tunedServer : cipherServer
      const to = variant === 'stock' ? addr : variant === 'tuned' ? tuned.addr : cipher.addr
      try {
        return await runScript<ClientResult>('scripts/libp2p-client', ['--addr', to, '--bytes', String(bytes), '--streams', String(streams), ...(variant === 'cipher' ? ['--noise', 'fsnode'] : [])],
          { nodeArgs: variant === 'stock' ? [] : TUNED })
      } catch (err) {
        // the reason is often on the sending side
        throw new Error(`${err instanceof Error ? err.message : String(err)}${from.stderr.trim() !== '' ? `; server: ${from.describeFailure()}` : ''}`)
      }
    }
    return {
      describe: `${formatSize(bytes)} server -> client over 1 and ${MANY_STREAMS} streams of one connection; ` +
        `${formatSize(SEND_BLOCK)} sends, at most ${formatSize(WRITE_HIGH_WATER)} queued; yamux window ${formatSize(YAMUX_MAX_STREAM_WINDOW)}, ` +
        `read buffer ${formatSize(YAMUX_MAX_READ_BUFFER)}; reader: 'message' listener until 'end'; V8 defaults, and once more with ${HEAP_FLAGS.join(' ')} ` +
        'on both sides (what fsnode start/get run with), and with that and fsnode\'s noise cipher (src/host/noise-crypto.ts); ' +
        'the ratios use the V8-default 1-stream figure (stock noise)',
      async run (): Promise<RunResult> {
        const senderRss = new PeakRss([server.pid]).start()
        const one = await receive(1)
        const rssSender = senderRss.stop().get(server.pid) ?? Number.NaN
        const many = await receive(MANY_STREAMS)
        const oneTuned = await receive(1, 'tuned')
        const oneCipher = await receive(1, 'cipher')
        return {
          values: {
            mbps1: mbps(one.bytes, one.seconds),
            mbps8: mbps(many.bytes, many.seconds),
            mbps1Tuned: mbps(oneTuned.bytes, oneTuned.seconds),
            mbps1Cipher: mbps(oneCipher.bytes, oneCipher.seconds),
            rssReceiverTuned: oneTuned.peakRssMb,
            rssIdle: one.rssConnectedMb,
            rssReceiver: one.peakRssMb,
            rssSender
          },
          info: { oneStream: one, manyStreams: many, oneStreamHeapTuned: oneTuned, oneStreamCipher: oneCipher }
        }
      },
      async close () { await Promise.all([server.stop(), tunedServer.stop(), cipherServer.stop()]) }
    }
  }
}
