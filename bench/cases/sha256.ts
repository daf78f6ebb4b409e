// Hashing references for the indexing case: coreutils sha256sum and Node's crypto over the same
// file (already in the page cache: both read it warm, as the indexer does right after a copy).
import { runProgram, runScript } from '../lib/proc.js'
import { formatSize, mbps } from '../lib/units.js'
import { HASH_READ_BLOCK } from '../lib/data.js'
import { now } from '../lib/time.js'
import type { BenchCase } from '../lib/types.js'

const SHA256SUM = 'sha256sum'

interface HashResult { bytes: number, seconds: number, sha256: string }

export const sha256Case: BenchCase = {
  name: 'sha256',
  title: 'sha256 of one file: sha256sum vs node:crypto',
  aliases: ['hash'],
  metrics: [
    { key: 'sha256sum', label: 'sha256sum', unit: 'MB/s', better: 'higher', reference: 'sha256sum' },
    { key: 'node', label: 'node:crypto, 4 MiB reads', unit: 'MB/s', better: 'higher', versus: 'sha256sum' }
  ],
  async prepare (ctx) {
    const file = await ctx.randomFile(ctx.profile.transferBytes)
    return {
      describe: `${formatSize(file.size)} random file, warm page cache; node reads ${formatSize(HASH_READ_BLOCK)} at a time`,
      async run () {
        const start = now()
        const r = await runProgram(SHA256SUM, [file.path])
        const coreutilsSeconds = (now() - start) / 1000
        if (r.code !== 0) throw new Error(`sha256sum exited ${r.code}: ${r.stderr.trim()}`)
        const coreutilsDigest = r.stdout.split(/\s+/)[0]
        const node = await runScript<HashResult>('scripts/sha256-file', ['--file', file.path])
        for (const [who, digest] of [['sha256sum', coreutilsDigest], ['node', node.sha256]]) {
          if (digest !== file.sha256) throw new Error(`${who} digest ${digest} differs from the data's ${file.sha256}`)
        }
        return {
          values: { sha256sum: mbps(file.size, coreutilsSeconds), node: mbps(node.bytes, node.seconds) },
          info: { sha256sumSeconds: coreutilsSeconds, nodeSeconds: node.seconds }
        }
      }
    }
  }
}
