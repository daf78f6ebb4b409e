// Raw TCP between two Node processes: the machine's limit for moving bytes over 127.0.0.1.
import { spawnScript, runScript } from '../lib/proc.js'
import { formatSize, mbps } from '../lib/units.js'
import { TCP_SEND_BLOCK } from '../lib/blocks.js'
import type { BenchCase } from '../lib/types.js'

const READY_TIMEOUT_MS = 15_000

interface ClientResult { bytes: number, seconds: number, connectMs: number, peakRssMb: number }

export const tcpCase: BenchCase = {
  name: 'tcp',
  title: 'raw TCP, one socket between two processes',
  aliases: ['raw-tcp'],
  metrics: [
    { key: 'mbps', label: 'throughput', unit: 'MB/s', better: 'higher', throughput: true, reference: 'tcp' }
  ],
  async prepare (ctx) {
    const bytes = ctx.profile.transferBytes
    const server = spawnScript('scripts/tcp-server')
    const { port } = await server.next<{ port: number }>('ready', READY_TIMEOUT_MS)
    return {
      describe: `${formatSize(bytes)} server -> client, ${formatSize(TCP_SEND_BLOCK)} writes, node:net on 127.0.0.1`,
      async run () {
        const r = await runScript<ClientResult>('scripts/tcp-client', ['--port', String(port), '--bytes', String(bytes)])
        return { values: { mbps: mbps(r.bytes, r.seconds) }, info: { seconds: r.seconds, connectMs: r.connectMs, clientPeakRssMb: r.peakRssMb } }
      },
      async close () { await server.stop() }
    }
  }
}
