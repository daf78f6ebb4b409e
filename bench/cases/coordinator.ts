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
/** Announce and queries of one run; generous: on a loaded machine the case may take long, not fail. */
const LOAD_TIMEOUT_MS = 20 * 60_000
/** A run whose load script fails (a dial or announce past its timeout on a machine at load 15-20)
 * is tried again on a fresh coordinator before the case fails. */
const RUN_ATTEMPTS = 3

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
        const failures: string[] = []
        for (let attempt = 1; ; attempt++) {
          try {
            const result = await runOnce(`coordinator${index}-${attempt}`)
            return { ...result, info: { ...result.info, failedAttempts: failures } }
          } catch (err: any) {
            failures.push(String(err.message))
            if (attempt >= RUN_ATTEMPTS) throw new Error(`${RUN_ATTEMPTS} attempts failed: ${failures.join('; ')}`)
            process.stderr.write(`  coordinator run ${index}: ${String(err.message)}; again on a fresh coordinator\n`)
          }
        }
      },
      async close () { await cluster.close() }
    }

    async function runOnce (name: string): Promise<RunResult> {
      const coordinator = await cluster.startCoordinator(name)
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
        await rm(join(ctx.tmp, name), { recursive: true, force: true })
      }
    }
  }
}
