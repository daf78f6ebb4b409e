// Coordinator scale: `fsnode coordinator` and N simulated peers (one bench process speaking
// /fileshare/index/1.0.0) announcing F files in total; then searches and lookups; coordinator
// peak RSS throughout.
import { Cluster } from '../lib/fsnode.js'
import { runScript } from '../lib/proc.js'
import { PeakRss } from '../lib/rss.js'
import type { BenchCase, RunResult } from '../lib/types.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'

/** Issue 4: search p99 under 20 ms at 100,000 files. */
const SEARCH_P99_TARGET_MS = 20
const LOAD_TIMEOUT_MS = 10 * 60_000

interface Latency { n: number, p50: number, p99: number, max: number }
interface LoadResult {
  peers: number
  files: number
  setupSeconds: number
  announceSeconds: number
  announceRate: number
  announcePerPeerMs: Latency
  search: Latency & { hitsMedian: number }
  lookup: Latency
}

export const coordinatorCase: BenchCase = {
  name: 'coordinator',
  title: 'fsnode coordinator: announces, searches, lookups at scale',
  aliases: ['coord', 'search'],
  runs: { quick: 1 },
  metrics: [
    { key: 'announce', label: 'announce', unit: 'files/s', better: 'higher' },
    { key: 'searchP50', label: 'search p50', unit: 'ms', better: 'lower' },
    { key: 'searchP99', label: 'search p99', unit: 'ms', better: 'lower', target: { text: `< ${SEARCH_P99_TARGET_MS} ms`, met: v => v < SEARCH_P99_TARGET_MS } },
    { key: 'lookupP50', label: 'lookup p50', unit: 'ms', better: 'lower' },
    { key: 'lookupP99', label: 'lookup p99', unit: 'ms', better: 'lower' },
    { key: 'rss', label: 'coordinator peak RSS', unit: 'MB', better: 'lower' }
  ],
  async prepare (ctx) {
    const { coordinatorPeers: peers, coordinatorFiles: files, coordinatorQueries: queries } = ctx.profile
    const cluster = new Cluster(ctx.tmp)
    return {
      describe: `${peers} simulated peers announce ${files} files in total at once (IndexClient over libp2p, one process), ` +
        `then, from another process and with the peers still connected, ${queries} searches (half common words, half unique tokens, default page of 500) ` +
        `and ${queries} lookups (name / file id), one at a time; a fresh coordinator each run`,
      async run (index): Promise<RunResult> {
        const coordinator = await cluster.startCoordinator(`coordinator${index}`)
        const rss = new PeakRss([coordinator.pid]).start()
        try {
          const r = await runScript<LoadResult>('scripts/coordinator-load', [
            '--coordinator', coordinator.addr, '--peers', String(peers), '--files', String(files), '--queries', String(queries)
          ], { timeoutMs: LOAD_TIMEOUT_MS })
          const peak = rss.stop().get(coordinator.pid) ?? Number.NaN
          return {
            values: {
              announce: r.announceRate,
              searchP50: r.search.p50,
              searchP99: r.search.p99,
              lookupP50: r.lookup.p50,
              lookupP99: r.lookup.p99,
              rss: peak
            },
            info: { ...r }
          }
        } finally {
          rss.stop()
          await cluster.stop(coordinator)
          await rm(join(ctx.tmp, `coordinator${index}`), { recursive: true, force: true })
        }
      },
      async close () { await cluster.close() }
    }
  }
}
