// The chunk-size table (src/share/chunk-size.ts CHUNK_SIZE_TABLE), chosen by measurement: the same
// files fetched with every candidate chunk size, provider and downloader in separate processes on
// 127.0.0.1 (fsnode's host, chunk server and downloader, without the daemons, so that the chunk
// size is the only difference). Not in --quick: about two minutes.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { runScript, spawnScript } from '../lib/proc.js'
import { KiB, MiB, formatSize, mbps } from '../lib/units.js'
import type { BenchCase, DataFile, MetricSpec, RunResult } from '../lib/types.js'

/** File sizes: one per row of the table that matters in practice (the 16 MiB chunks of files
 * over 4 GiB are left out: too slow to measure here, and their memory is the same story). */
const FILE_SIZES = [8 * MiB, 64 * MiB, 512 * MiB]
const CHUNK_SIZES = [256 * KiB, MiB, 4 * MiB, 16 * MiB]
/** Memory only matters for the big file: the small ones fit in flight whole. */
const RSS_FILE_SIZE = 512 * MiB
const READY_TIMEOUT_MS = 5 * 60_000
const GET_TIMEOUT_MS = 5 * 60_000

interface Served { path: string, chunkSize: number, fileId: string }
interface GetResult { seconds: number, bytes: number, peakRssMb: number }

const key = (kind: string, size: number, chunk: number): string => `${kind}_${size / KiB}k_${chunk / KiB}k`

function metrics (): MetricSpec[] {
  const out: MetricSpec[] = []
  for (const size of FILE_SIZES) {
    for (const chunk of CHUNK_SIZES) {
      out.push({ key: key('mbps', size, chunk), label: `${formatSize(size)} file, ${formatSize(chunk)} chunks`, unit: 'MB/s', better: 'higher', throughput: true })
    }
  }
  for (const chunk of CHUNK_SIZES) {
    out.push({ key: key('rss', RSS_FILE_SIZE, chunk), label: `${formatSize(RSS_FILE_SIZE)}, ${formatSize(chunk)} chunks: downloader peak RSS`, unit: 'MB', better: 'lower' })
  }
  return out
}

export const chunkSizeCase: BenchCase = {
  name: 'chunk-size',
  title: 'chunk size: the same files fetched with each candidate chunk size',
  aliases: ['chunks'],
  needs: ['tcp', 'libp2p'],
  quick: false,
  runs: { quick: 1 },
  metrics: metrics(),
  async prepare (ctx) {
    const files: DataFile[] = []
    for (const size of FILE_SIZES) files.push(await ctx.randomFile(size))
    const provider = spawnScript('scripts/chunk-provider', [...files.flatMap(f => ['--file', f.path]), '--chunk-sizes', CHUNK_SIZES.join(',')])
    const ready = await provider.next<{ peerId: string, addrs: string[], files: Served[] }>('ready', READY_TIMEOUT_MS)
    const addr = ready.addrs.find(a => a.includes('/ip4/127.0.0.1/')) ?? ready.addrs[0]
    return {
      describe: `${FILE_SIZES.map(formatSize).join(', ')} random files x ${CHUNK_SIZES.map(formatSize).join(', ')} chunks; ` +
        'one provider process (chunk server, no daemon), a fresh downloader process per get (download(), no daemon), default streams and in-flight limits; ' +
        'the order of the chunk sizes rotates each run',
      async run (index): Promise<RunResult> {
        const values: Record<string, number> = {}
        // rotate so no chunk size always runs first (or right after the biggest transfer)
        const order = CHUNK_SIZES.map((_, i) => CHUNK_SIZES[(i + index) % CHUNK_SIZES.length])
        for (const file of files) {
          for (const chunk of order) {
            const served = ready.files.find(f => f.path === file.path && f.chunkSize === chunk)
            if (served == null) throw new Error(`the provider does not serve ${file.path} in ${chunk}-byte chunks`)
            const out = join(ctx.tmp, `out-${index}-${file.size}-${chunk}`)
            try {
              const r = await runScript<GetResult>('scripts/chunk-get', ['--peer', ready.peerId, '--addr', addr, '--file-id', served.fileId, '--out', out], { timeoutMs: GET_TIMEOUT_MS })
              if (r.bytes !== file.size) throw new Error(`got ${r.bytes} bytes of ${file.size}`)
              values[key('mbps', file.size, chunk)] = mbps(r.bytes, r.seconds)
              if (file.size === RSS_FILE_SIZE) values[key('rss', file.size, chunk)] = r.peakRssMb
            } finally {
              await rm(out, { recursive: true, force: true })
            }
          }
        }
        return { values }
      },
      async close () { await provider.stop() }
    }
  }
}
