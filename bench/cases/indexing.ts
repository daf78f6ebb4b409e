// Indexing: `fsnode start` on a folder holding one big random file with a fresh data dir (so
// nothing is cached): time until its status shows the file hashed, and the hash rate against
// sha256sum on the same file (sha256 case).
import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { Cluster } from '../lib/fsnode.js'
import { linkInto } from '../lib/data.js'
import { formatSize, mbps } from '../lib/units.js'
import { now, waitUntil } from '../lib/time.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const READY_TIMEOUT_MS = 5 * 60_000
const POLL_MS = 50

export const indexingCase: BenchCase = {
  name: 'indexing',
  title: 'fsnode: hashing a big file at start (cold data dir)',
  aliases: ['index'],
  needs: ['sha256'],
  metrics: [
    { key: 'mbps', label: 'hash rate (share.scanMs)', unit: 'MB/s', better: 'higher', versus: 'sha256sum' },
    { key: 'ready', label: 'spawn to indexed', unit: 's', better: 'lower' }
  ],
  async prepare (ctx) {
    const file = await ctx.randomFile(ctx.profile.transferBytes)
    const share = join(ctx.tmp, 'share')
    await linkInto(file.path, join(share, 'big.bin'))
    const cluster = new Cluster(ctx.tmp)
    return {
      describe: `\`fsnode start\` (no coordinator) sharing one ${formatSize(file.size)} random file, fresh data dir each run; ` +
        'ready = status (control socket) shows share.files >= 1 and share.scanMs set (initial scan with hashing done); rate = size / share.scanMs',
      async run (index): Promise<RunResult> {
        const start = now()
        const node = await cluster.startNode(`node${index}`, share)
        try {
          const s = await waitUntil(async () => {
            const st = await node.status()
            return (st.share?.files ?? 0) >= 1 && (st.share?.scanMs ?? 0) > 0 ? st : undefined
          }, `${formatSize(file.size)} hashed`, READY_TIMEOUT_MS, POLL_MS)
          const ready = (now() - start) / 1000
          if ((s.share?.hashedBytes ?? 0) < file.size) throw new Error(`share.hashedBytes is ${s.share?.hashedBytes}, expected ${file.size}: was it cached?`)
          return {
            values: { mbps: mbps(file.size, (s.share?.scanMs as number) / 1000), ready },
            info: { share: s.share, startToJsonSeconds: node.startSeconds }
          }
        } finally {
          await cluster.stop(node)
          await rm(join(ctx.tmp, `node${index}`), { recursive: true, force: true })
        }
      },
      async close () { await cluster.close() }
    }
  }
}
