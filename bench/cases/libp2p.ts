// A bare libp2p stream between two processes: TCP + Noise + yamux with fsnode's yamux settings
// and no fsnode code. The stack's limit, one stream and eight.
import { spawnScript, runScript } from '../lib/proc.js'
import { PeakRss } from '../lib/rss.js'
import { formatSize, mbps } from '../lib/units.js'
import { SEND_BLOCK } from '../lib/blocks.js'
import { WRITE_HIGH_WATER, YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW } from '../lib/libp2p-host.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const READY_TIMEOUT_MS = 30_000
const MANY_STREAMS = 8

interface ClientResult { bytes: number, streams: number, seconds: number, connectMs: number, rssConnectedMb: number, peakRssMb: number }

export const libp2pCase: BenchCase = {
  name: 'libp2p',
  title: 'bare libp2p stream (TCP + Noise + yamux), two processes',
  aliases: ['bare-libp2p'],
  metrics: [
    { key: 'mbps1', label: '1 stream', unit: 'MB/s', better: 'higher', throughput: true, reference: 'libp2p' },
    { key: 'mbps8', label: `${MANY_STREAMS} streams`, unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'rssIdle', label: 'receiver RSS once connected', unit: 'MB', better: 'lower' },
    { key: 'rssReceiver', label: 'receiver peak RSS, 1 stream', unit: 'MB', better: 'lower' },
    { key: 'rssSender', label: 'sender peak RSS, 1 stream', unit: 'MB', better: 'lower' }
  ],
  async prepare (ctx) {
    const bytes = ctx.profile.transferBytes
    const server = spawnScript('scripts/libp2p-server')
    const { addr } = await server.next<{ addr: string }>('ready', READY_TIMEOUT_MS)
    const receive = async (streams: number): Promise<ClientResult> => {
      try {
        return await runScript<ClientResult>('scripts/libp2p-client', ['--addr', addr, '--bytes', String(bytes), '--streams', String(streams)])
      } catch (err) {
        // the reason is often on the sending side
        throw new Error(`${err instanceof Error ? err.message : String(err)}${server.stderr.trim() !== '' ? `; server: ${server.describeFailure()}` : ''}`)
      }
    }
    return {
      describe: `${formatSize(bytes)} server -> client over 1 and ${MANY_STREAMS} streams of one connection; ` +
        `${formatSize(SEND_BLOCK)} sends, at most ${formatSize(WRITE_HIGH_WATER)} queued; yamux window ${formatSize(YAMUX_MAX_STREAM_WINDOW)}, ` +
        `read buffer ${formatSize(YAMUX_MAX_READ_BUFFER)}; reader: 'message' listener until 'end'`,
      async run (): Promise<RunResult> {
        const senderRss = new PeakRss([server.pid]).start()
        const one = await receive(1)
        const rssSender = senderRss.stop().get(server.pid) ?? Number.NaN
        const many = await receive(MANY_STREAMS)
        return {
          values: {
            mbps1: mbps(one.bytes, one.seconds),
            mbps8: mbps(many.bytes, many.seconds),
            rssIdle: one.rssConnectedMb,
            rssReceiver: one.peakRssMb,
            rssSender
          },
          info: { oneStream: one, manyStreams: many }
        }
      },
      async close () { await server.stop() }
    }
  }
}
