// Many small files: a provider shares N files of 16 KiB; the downloader's running node gets each
// one in turn (through its control socket, what `fsnode get` uses, without a process per file).
import { join } from 'node:path'
import { Cluster, waitForListing, waitForShare } from '../lib/fsnode.js'
import type { FsnodeDaemon } from '../lib/fsnode.js'
import { writeFileSet } from '../lib/data.js'
import { percentile } from '../lib/stats.js'
import { formatSize } from '../lib/units.js'
import { now, waitUntil } from '../lib/time.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const PREFIX = 'small'
const READY_TIMEOUT_MS = 5 * 60_000
const LISTING_TIMEOUT_MS = 60_000
/** Issue 15: the last 1,000 gets no slower than the first 1,000 (a quarter of the gets when fewer). */
const WINDOW = 1_000
/** "No slower", with room for a loaded machine's noise. */
const FLAT_RATIO = 1.1
/** Files per folder of the set (writeFileSet's default). */
const PER_FOLDER = 100
/** Above this many files one `ls` answer would pass the control socket's 1 MiB message limit
 * (20,000 names did, and 5,000 did too): the names are then listed a folder at a time. */
const ONE_LISTING_MAX = 2_000

/** The p50 of the last `n` gets over the p50 of the first `n`: 1 when per-get cost is flat. */
function lastOverFirst (ms: number[]): { ratio: number, window: number, first: number, last: number } {
  const window = Math.max(1, Math.min(WINDOW, Math.floor(ms.length / 4)))
  const first = percentile(ms.slice(0, window), 50)
  const last = percentile(ms.slice(-window), 50)
  return { ratio: last / first, window, first, last }
}

/** The set's names as the downloader's node lists them, once the coordinator has them all. */
async function listNames (downloader: FsnodeDaemon, count: number): Promise<string[]> {
  const mine = (files: Array<{ name: string }>): string[] => files.filter(f => f.name.includes(`${PREFIX}-`)).map(f => f.name)
  if (count <= ONE_LISTING_MAX) {
    return await waitForListing(downloader, files => {
      const names = mine(files)
      return names.length >= count ? names : undefined
    }, `${count} small files listed`, LISTING_TIMEOUT_MS)
  }
  const api = await downloader.api()
  const names: string[] = []
  for (let folder = 0; folder * PER_FOLDER < count; folder++) {
    const path = `d${String(folder).padStart(3, '0')}`
    const expected = Math.min(PER_FOLDER, count - folder * PER_FOLDER)
    names.push(...await waitUntil(async () => {
      const found = mine(await api.ls({ path }))
      return found.length >= expected ? found : undefined
    }, `${expected} small files listed in ${path}/`, LISTING_TIMEOUT_MS, 200))
  }
  return names
}

export const smallFilesCase: BenchCase = {
  name: 'small-files',
  title: 'fsnode: one get per small file through a running node',
  aliases: ['small'],
  runs: { quick: 1 },
  metrics: [
    { key: 'rate', label: 'gets', unit: 'files/s', better: 'higher' },
    { key: 'p50', label: 'one get p50', unit: 'ms', better: 'lower' },
    { key: 'p99', label: 'one get p99', unit: 'ms', better: 'lower' },
    { key: 'firstP50', label: 'p50 of the first gets (window in the JSON)', unit: 'ms', better: 'lower' },
    { key: 'lastP50', label: 'p50 of the last gets', unit: 'ms', better: 'lower' },
    { key: 'growth', label: 'last / first p50', unit: 'x', better: 'lower', target: { text: `<= ${FLAT_RATIO} (flat)`, met: v => v <= FLAT_RATIO } }
  ],
  async prepare (ctx) {
    const { smallFiles: count, smallFileBytes: size } = ctx.profile
    const share = join(ctx.tmp, 'provider', 'share')
    await writeFileSet(share, count, size, PREFIX)
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
      describe: `${count} files of ${formatSize(size)}, one at a time (first/last p50 over ${Math.max(1, Math.min(WINDOW, Math.floor(count / 4)))} gets), node.get() over the downloader's control socket; a fresh downloader each run`,
      async run (index): Promise<RunResult> {
        const downloader = await cluster.startNode(`downloader${index}`)
        const out = join(ctx.tmp, `out${index}`)
        try {
          const names = await listNames(downloader, count)
          const api = await downloader.api()
          const ms: number[] = []
          const start = now()
          for (const name of names) {
            const t = now()
            const r = await api.get(name, { out })
            ms.push(now() - t)
            if (r.size !== size) throw new Error(`${name}: got ${r.size} bytes, expected ${size}`)
          }
          const seconds = (now() - start) / 1000
          const g = lastOverFirst(ms)
          return {
            values: { rate: names.length / seconds, p50: percentile(ms, 50), p99: percentile(ms, 99), firstP50: g.first, lastP50: g.last, growth: g.ratio },
            info: { files: names.length, seconds, window: g.window, ms }
          }
        } finally {
          await cluster.stop(downloader)
          await ctx.discard(out) // not deleted now: the next run's creates would pay for it (trash.ts)
        }
      },
      async close () { await cluster.close() }
    }
  }
}
