// A share of many tiny files (issue 15: 200,000): first index, restart, the node's memory, and
// how long the snapshot announce to a coordinator takes. The files are a few bytes each (the
// cost is per file, not per byte) and are kept under the OS temp dir between invocations:
// writing 200,000 files takes minutes on a loaded machine.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from '../lib/fsnode.js'
import type { FsnodeDaemon } from '../lib/fsnode.js'
import { PeakRss, procStatusBytes } from '../lib/rss.js'
import { MB } from '../lib/units.js'
import { now, sleep, waitUntil } from '../lib/time.js'
import type { BenchCase, RunResult } from '../lib/types.js'
import type { StatusInfo } from '../../src/node/api.js'

const PER_FOLDER = 1000
const FIRST_INDEX_TIMEOUT_MS = 30 * 60_000
const READY_TIMEOUT_MS = 10 * 60_000
const ANNOUNCE_TIMEOUT_MS = 10 * 60_000
const POLL_MS = 50
/** After the announce, the node settles (its watcher sets up) before its RSS is read. */
const SETTLE_MS = 3000
const RESTART_TARGET_S = 3
const RSS_TARGET_MB = 250

/** The file set, written once: `<tmp>/fsnode-bench-big-share-<count>/` (a `.complete` marker when whole). */
async function fileSet (count: number): Promise<string> {
  const dir = join(tmpdir(), `fsnode-bench-big-share-${count}`)
  const marker = join(dir, '.complete')
  if (existsSync(marker)) return join(dir, 'share')
  for (let i = 0; i < count; i++) {
    const folder = join(dir, 'share', `d${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`)
    if (i % PER_FOLDER === 0) await mkdir(folder, { recursive: true })
    // distinct contents: every file has its own file id, as in a real share
    await writeFile(join(folder, `f${String(i).padStart(7, '0')}.txt`), `file ${i}\n`)
  }
  await writeFile(marker, '')
  return join(dir, 'share')
}

/** Every file shared (a restart shares what its hash cache knows, then scans); with `scan`, the
 * initial scan done too. */
async function ready (node: FsnodeDaemon, files: number, timeoutMs: number, scan: boolean): Promise<StatusInfo> {
  return await waitUntil(async () => {
    const s = await node.status()
    return (s.share?.files ?? 0) >= files && (!scan || (s.share?.scanMs ?? 0) > 0) ? s : undefined
  }, `${files} files shared${scan ? ' and the initial scan done' : ''}`, timeoutMs, POLL_MS)
}

async function announced (node: FsnodeDaemon, timeoutMs: number): Promise<number> {
  return await waitUntil(async () => (await node.status()).coordinators[0]?.lastAnnounceAt, 'the snapshot announced', timeoutMs, POLL_MS)
}

/** seconds: spawn to ready; scanned: spawn to the scan done; announce: spawn to the snapshot accepted. */
interface Measured { seconds: number, scanned: number, announce: number, rssPeak: number, rss: number, status: StatusInfo }

/** Start the node on `share` and time it to ready, then to its snapshot announced. */
async function measure (cluster: Cluster, share: string, files: number, timeoutMs: number): Promise<Measured> {
  const t = now()
  const spawnAt = Date.now()
  const node = await cluster.startNode('node', share)
  const rss = new PeakRss([node.pid]).start()
  try {
    await ready(node, files, timeoutMs, false)
    const seconds = (now() - t) / 1000
    const status = await ready(node, files, timeoutMs, true)
    const scanned = (now() - t) / 1000
    const at = await announced(node, ANNOUNCE_TIMEOUT_MS)
    const announce = (at - spawnAt) / 1000
    await sleep(SETTLE_MS)
    const current = (procStatusBytes(node.pid, 'VmRSS') ?? Number.NaN) / MB
    const rssPeak = rss.stop().get(node.pid) ?? Number.NaN
    return { seconds, scanned, announce, rssPeak, rss: current, status }
  } finally {
    rss.stop()
    await cluster.stop(node)
  }
}

export const bigShareCase: BenchCase = {
  name: 'big-share',
  title: 'fsnode: a share of many tiny files (first index, restart, RSS, announce)',
  aliases: ['big'],
  runs: { quick: 1 },
  metrics: [
    { key: 'restart', label: 'restart, spawn to ready', unit: 's', better: 'lower', target: { text: `< ${RESTART_TARGET_S} s`, met: v => v < RESTART_TARGET_S } },
    { key: 'scanned', label: 'restart, spawn to scan done', unit: 's', better: 'lower' },
    { key: 'rssPeak', label: 'node peak RSS (restart to announced + 3 s)', unit: 'MB', better: 'lower', target: { text: `< ${RSS_TARGET_MB} MB`, met: v => v < RSS_TARGET_MB } },
    { key: 'rss', label: 'node RSS, settled', unit: 'MB', better: 'lower' },
    { key: 'announce', label: 'restart, spawn to snapshot announced', unit: 's', better: 'lower' },
    { key: 'hashed', label: 'files re-hashed on restart', unit: 'files', better: 'lower', target: { text: '0', met: v => v === 0 } },
    { key: 'firstIndex', label: 'first index, spawn to ready (before the runs)', unit: 's', better: 'lower' },
    { key: 'firstAnnounce', label: 'first index, spawn to snapshot announced', unit: 's', better: 'lower' },
    { key: 'firstRssPeak', label: 'node peak RSS, first index (before the runs)', unit: 'MB', better: 'lower' }
  ],
  async prepare (ctx) {
    const count = ctx.profile.bigShareFiles
    const share = await fileSet(count)
    const cluster = new Cluster(ctx.tmp, FIRST_INDEX_TIMEOUT_MS)
    let first: Measured
    try {
      await cluster.startCoordinator()
      first = await measure(cluster, share, count, FIRST_INDEX_TIMEOUT_MS)
    } catch (err) {
      await cluster.close()
      throw err
    }
    return {
      describe: `${count} files of a few bytes in ${Math.ceil(count / PER_FOLDER)} folders (kept in ${join(tmpdir(), `fsnode-bench-big-share-${count}`)}), ` +
        'a coordinator on 127.0.0.1; indexed once on a fresh data dir, then `fsnode start` again on the same data dir each run. ' +
        'ready = status shows share.files == the count (first index: the scan is done then); scan done = share.scanMs set too; announced = status shows the snapshot accepted by the coordinator (coordinators[0].lastAnnounceAt)',
      async run (): Promise<RunResult> {
        const m = await measure(cluster, share, count, READY_TIMEOUT_MS)
        return {
          values: {
            restart: m.seconds,
            scanned: m.scanned,
            rssPeak: m.rssPeak,
            rss: m.rss,
            announce: m.announce,
            hashed: m.status.share?.hashed ?? Number.NaN,
            firstIndex: first.seconds,
            firstAnnounce: first.announce,
            firstRssPeak: first.rssPeak
          },
          info: { share: m.status.share, first: { ...first, status: first.status.share } }
        }
      },
      async close () { await cluster.close() }
    }
  }
}
