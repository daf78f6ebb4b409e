// Restart on an unchanged many-file folder: the node indexed it once; each run starts it again
// on the same data dir and times it until it is ready (it answers and shares every file: its
// chunk server is up before its control socket), then until its scan has checked them all.
// Nothing should be re-hashed.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cluster } from '../lib/fsnode.js'
import type { FsnodeDaemon } from '../lib/fsnode.js'
import { writeFileSet } from '../lib/data.js'
import { KiB } from '../lib/units.js'
import { now, waitUntil } from '../lib/time.js'
import type { BenchCase, RunResult } from '../lib/types.js'
import type { StatusInfo } from '../../src/node/api.js'

const FILE_BYTES = 4 * KiB
const PREFIX = 'doc'
const FIRST_INDEX_TIMEOUT_MS = 10 * 60_000
const READY_TIMEOUT_MS = 5 * 60_000
const POLL_MS = 25
/** USER_HZ: /proc reports CPU time in these (100 on Linux). */
const CLOCK_TICKS = 100
/** Issue 4: restart on an unchanged 10,000-file folder in under 1 s, nothing re-hashed. */
const RESTART_TARGET_S = 1

/** User + system CPU seconds a process used so far (/proc/<pid>/stat), NaN when unreadable. */
function cpuSeconds (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}

/** The node answers on its control socket and shares `files` files (scanned or not yet). */
async function ready (node: FsnodeDaemon, files: number, timeoutMs: number): Promise<StatusInfo> {
  return await waitUntil(async () => {
    const s = await node.status()
    return (s.share?.files ?? 0) >= files ? s : undefined
  }, `${files} files shared`, timeoutMs, POLL_MS)
}

/** The initial scan is done: every file checked on disk. */
async function scanned (node: FsnodeDaemon, files: number, timeoutMs: number): Promise<StatusInfo> {
  return await waitUntil(async () => {
    const s = await node.status()
    return (s.share?.files ?? 0) >= files && (s.share?.scanMs ?? 0) > 0 ? s : undefined
  }, `${files} files shared and the initial scan done`, timeoutMs, POLL_MS)
}

export const restartCase: BenchCase = {
  name: 'restart',
  title: 'fsnode: restart on an unchanged many-file folder',
  metrics: [
    { key: 'seconds', label: 'spawn to ready', unit: 's', better: 'lower', target: { text: `< ${RESTART_TARGET_S} s`, met: v => v < RESTART_TARGET_S } },
    { key: 'scanned', label: 'spawn to scan done', unit: 's', better: 'lower' },
    { key: 'scan', label: 'initial scan (share.scanMs)', unit: 's', better: 'lower' },
    // CPU seconds move less than wall time on a shared, loaded machine
    { key: 'cpu', label: 'node CPU, spawn to ready', unit: 's', better: 'lower' },
    { key: 'hashed', label: 'files re-hashed', unit: 'files', better: 'lower', target: { text: '0', met: v => v === 0 } },
    { key: 'firstIndex', label: 'first index (before the runs)', unit: 's', better: 'lower' }
  ],
  async prepare (ctx) {
    const count = ctx.profile.restartFiles
    const share = join(ctx.tmp, 'share')
    await writeFileSet(share, count, FILE_BYTES, PREFIX)
    const cluster = new Cluster(ctx.tmp)
    let firstIndex: number
    try {
      const t = now()
      const first = await cluster.startNode('node', share)
      await scanned(first, count, FIRST_INDEX_TIMEOUT_MS)
      firstIndex = (now() - t) / 1000
      await cluster.stop(first)
    } catch (err) {
      await cluster.close()
      throw err
    }
    return {
      describe: `${count} files of ${FILE_BYTES / KiB} KiB in ${Math.ceil(count / 100)} folders, indexed once, then \`fsnode start\` again on the same data dir; ` +
        'ready = status (control socket) shows share.files == the count (a restart shares what its hash cache knows, then scans); ' +
        'scan done = share.scanMs set too',
      async run (): Promise<RunResult> {
        const t = now()
        const node = await cluster.startNode('node', share)
        try {
          await ready(node, count, READY_TIMEOUT_MS)
          const seconds = (now() - t) / 1000
          const cpu = cpuSeconds(node.pid)
          const s = await scanned(node, count, READY_TIMEOUT_MS)
          return {
            values: { seconds, cpu, scanned: (now() - t) / 1000, scan: (s.share?.scanMs ?? Number.NaN) / 1000, hashed: s.share?.hashed ?? Number.NaN, firstIndex },
            info: { share: s.share, startToJsonSeconds: node.startSeconds }
          }
        } finally {
          await cluster.stop(node)
        }
      },
      async close () { await cluster.close() }
    }
  }
}
