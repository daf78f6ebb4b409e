// Relayed against direct: the same-size file fetched by a NATed node (a) from a public node,
// directly, and (b) from another NATed node, through the coordinator's circuit relay. Real NAT:
// network namespaces with nftables masquerading routers (kit/nat/netns.ts), so the case needs
// root, `ip netns` and `nft`; without them it fails with that reason and the rest still runs.
// Also what relaying costs the coordinator: CPU seconds and peak RSS per relayed GiB.
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { linkInto, sha256File, writeRandomFile } from '../lib/data.js'
import { PeakRss, procStatusBytes } from '../lib/rss.js'
import { GiB, MB, MiB, formatSize, mbps } from '../lib/units.js'
import { netnsUnavailable } from '../../kit/nat/netns.js'
import { NatScenario } from '../../kit/nat/scenario.js'
import type { BenchCase, RunResult } from '../lib/types.js'

/** The relayed file is at most this big (the full profile's 1 GiB through a relay on two
 * busy cores would take most of the bench's time). */
const MAX_BYTES = 256 * MiB
const GET_TIMEOUT_MS = 10 * 60_000
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS = 100

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

export const relayCase: BenchCase = {
  name: 'relay',
  title: 'fsnode get through the coordinator\'s relay vs direct (real NAT in network namespaces)',
  aliases: ['nat'],
  metrics: [
    { key: 'direct', label: 'get, direct (NATed <- public)', unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'relayed', label: 'get, relayed (NATed <- NATed)', unit: 'MB/s', better: 'higher', throughput: true },
    { key: 'ratio', label: 'relayed / direct', unit: 'x', better: 'higher' },
    { key: 'cpuPerGiB', label: 'coordinator CPU per relayed GiB', unit: 's', better: 'lower' },
    { key: 'rss', label: 'coordinator peak RSS while relaying', unit: 'MB', better: 'lower' },
    { key: 'rssBefore', label: 'coordinator RSS before relaying', unit: 'MB', better: 'lower' }
  ],
  async prepare (ctx) {
    const why = netnsUnavailable()
    if (why != null) throw new Error(`needs network namespaces: ${why}`)
    const size = Math.min(ctx.profile.transferBytes, MAX_BYTES)
    const file = await ctx.randomFile(size)
    const net = await NatScenario.create()
    try {
      // no bytes-per-second limits: what the relay itself costs
      await net.startCoordinator({ relay: { peerBytesPerSecond: 0, totalBytesPerSecond: 0 } })
      await linkInto(file.path, net.home('a', 'shared', 'relayed.bin'))
      // a different file of the same size (the same content would make both providers of one file)
      const directSum = await writeRandomFile(net.home('p', 'shared', 'direct.bin'), size)
      await net.startNode('ha', 'a')
      await net.startNode('pn', 'p')
      await net.startNode('hb', 'b')
      await net.relayed('a')
      await net.sees('b', 'relayed.bin', addrs => addrs.some(x => x.includes('/p2p-circuit')))
      await net.sees('b', 'direct.bin')
      const coordPid = net.coordinator?.child.pid ?? 0
      return {
        describe: `${formatSize(size)} random file; NATed downloader, NATed provider behind another router (relayed) or a ` +
          'public provider (direct); coordinator relay with no rate limit; CPU from /proc/<pid>/stat; a fresh output folder each run',
        async run (index): Promise<RunResult> {
          const outDirect = net.home('b', `direct${index}`)
          const outRelayed = net.home('b', `relayed${index}`)
          try {
            const direct = await net.json('b', ['get', 'direct.bin', '--out', outDirect], GET_TIMEOUT_MS)
            if (await sha256File(direct.path) !== directSum) throw new Error('direct get: sha256 differs')
            const rssBefore = (procStatusBytes(coordPid, 'VmRSS') ?? Number.NaN) / MB
            const cpu0 = cpuSeconds(coordPid)
            const rss = new PeakRss([coordPid]).start()
            const relayed = await net.json('b', ['get', 'relayed.bin', '--out', outRelayed], GET_TIMEOUT_MS)
            const peak = rss.stop().get(coordPid) ?? Number.NaN
            const cpu = cpuSeconds(coordPid) - cpu0
            if (await sha256File(relayed.path) !== file.sha256) throw new Error('relayed get: sha256 differs')
            const direct_ = mbps(direct.size, direct.seconds)
            const relayed_ = mbps(relayed.size, relayed.seconds)
            return {
              values: { direct: direct_, relayed: relayed_, ratio: relayed_ / direct_, cpuPerGiB: cpu / (size / GiB), rss: peak, rssBefore },
              info: { directSeconds: direct.seconds, relayedSeconds: relayed.seconds, coordinatorCpuSeconds: cpu, bytes: size }
            }
          } finally {
            await rm(outDirect, { recursive: true, force: true })
            await rm(outRelayed, { recursive: true, force: true })
          }
        },
        async close () { await net.destroy() }
      }
    } catch (err) {
      await net.destroy()
      throw err
    }
  }
}
