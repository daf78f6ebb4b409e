// Latency of a 1 KiB get: through a running node (time to the first progress event, which is
// the nearest thing to a first byte the API shows, and to completion), and as a cold
// `fsnode get` on a fresh data dir (process start, key, dial, lookup, transfer, exit).
import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { Cluster, waitForListing, waitForShare } from '../lib/fsnode.js'
import { writeFileSet } from '../lib/data.js'
import { percentile } from '../lib/stats.js'
import { KiB } from '../lib/units.js'
import { now } from '../lib/time.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const PREFIX = 'tiny'
const FILE_BYTES = KiB
const READY_TIMEOUT_MS = 60_000
const LISTING_TIMEOUT_MS = 60_000

export const latencyCase: BenchCase = {
  name: 'latency',
  title: 'fsnode: latency of a 1 KiB get',
  runs: { quick: 1 },
  metrics: [
    { key: 'firstP50', label: 'running node, first progress p50', unit: 'ms', better: 'lower' },
    { key: 'doneP50', label: 'running node, complete p50', unit: 'ms', better: 'lower' },
    { key: 'doneP99', label: 'running node, complete p99', unit: 'ms', better: 'lower' },
    { key: 'coldP50', label: 'cold fsnode get, wall p50', unit: 'ms', better: 'lower' },
    { key: 'coldResultP50', label: 'cold fsnode get, its own seconds p50', unit: 'ms', better: 'lower' }
  ],
  async prepare (ctx) {
    const { latencyGets, coldGets } = ctx.profile
    const count = latencyGets + coldGets
    const share = join(ctx.tmp, 'provider', 'share')
    await writeFileSet(share, count, FILE_BYTES, PREFIX)
    const cluster = new Cluster(ctx.tmp)
    try {
      await cluster.startCoordinator()
      const provider = await cluster.startNode('provider', share)
      await waitForShare(provider, count, READY_TIMEOUT_MS)
    } catch (err) {
      await cluster.close()
      throw err
    }
    return {
      describe: `${latencyGets} gets through a running node (fresh each run) and ${coldGets} cold \`fsnode get\`s on fresh data dirs per run, 1 KiB files`,
      async run (index): Promise<RunResult> {
        const downloader = await cluster.startNode(`downloader${index}`)
        const out = join(ctx.tmp, `out${index}`)
        try {
          const names = await waitForListing(downloader, files => {
            const mine = files.filter(f => f.name.includes(`${PREFIX}-`)).map(f => f.name).sort()
            return mine.length >= count ? mine : undefined
          }, `${count} tiny files listed`, LISTING_TIMEOUT_MS)
          const api = await downloader.api()
          const first: number[] = []
          const done: number[] = []
          for (const name of names.slice(0, latencyGets)) {
            const t = now()
            let firstAt: number | undefined
            await api.get(name, { out, onProgress: e => { if (firstAt == null && e.bytesDone > 0) firstAt = now() } })
            const end = now()
            done.push(end - t)
            first.push((firstAt ?? end) - t)
          }
          const cold: number[] = []
          const coldOwn: number[] = []
          for (const [i, name] of names.slice(latencyGets, count).entries()) {
            const r = await cluster.coldGet(`cold${index}-${i}`, name, join(ctx.tmp, `cold-out${index}-${i}`))
            if (r.size !== FILE_BYTES) throw new Error(`cold get of ${name}: ${r.size} bytes, expected ${FILE_BYTES}`)
            cold.push(r.wallSeconds * 1000)
            coldOwn.push(r.seconds * 1000)
          }
          return {
            values: {
              firstP50: percentile(first, 50),
              doneP50: percentile(done, 50),
              doneP99: percentile(done, 99),
              coldP50: percentile(cold, 50),
              coldResultP50: percentile(coldOwn, 50)
            },
            info: { doneMs: done, firstMs: first, coldMs: cold }
          }
        } finally {
          await cluster.stop(downloader)
          await rm(out, { recursive: true, force: true })
        }
      },
      async close () { await cluster.close() }
    }
  }
}
