/**
 * Coordinator figures over real connections on 127.0.0.1 (not a spec; run after a build):
 *   npx node dist/test/index/bench-index.js [entries]
 */
import { IndexClient } from '../../src/index/client.js'
import { Scene, fileIdOf } from './helpers.js'

const WORDS = ['report', 'holiday', 'photo', 'beach', 'sunset', 'music', 'video', 'notes', 'draft', 'final', 'invoice', 'scan']

async function main (): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000)
  const scene = new Scene()
  try {
    const coord = await scene.coordinator({ dataDir: await scene.tmpDir(), maxEntriesPerPeer: n })
    const node = await scene.host()
    const viewer = await scene.host()
    const ids = await Promise.all(Array.from({ length: 1000 }, async (_, i) => await fileIdOf(String(i))))
    const files = Array.from({ length: n }, (_, i) => ({
      name: `share/${WORDS[i % 12]}-${WORDS[(i * 7) % 12]}/${WORDS[(i * 5) % 12]} ${i}.txt`, fileId: ids[i % 1000], size: i, mtime: 1
    }))
    const client = IndexClient.forNode(node, coord.addr, { timeout: 60_000 })
    let t = performance.now()
    const { accepted, batches } = await client.announce({ replace: true, files, addrs: node.getMultiaddrs() })
    console.log(`announce ${accepted} entries in ${batches} frames: ${(performance.now() - t).toFixed(0)} ms`)
    t = performance.now()
    await client.announce({ replace: true, files })
    console.log(`re-announce (replace) ${n}: ${(performance.now() - t).toFixed(0)} ms`)

    const index = IndexClient.forNode(viewer, coord.addr)
    const queries = ['sunset', 'rep', 'beach photo', 'inv scan', 'final 123', 'nothing-here', '"a OR b*` NEAR(']
    const times: number[] = []
    for (let i = 0; i < 700; i++) {
      const t0 = performance.now()
      await index.search(queries[i % queries.length], { limit: 100 })
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    const pct = (p: number): string => times[Math.floor(times.length * p)].toFixed(2)
    console.log(`search over the network, limit 100: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`)
    t = performance.now()
    let listed = 0
    for await (const page of index.listAll({ limit: 2000 })) listed += page.entries.length
    console.log(`listAll ${listed} entries: ${(performance.now() - t).toFixed(0)} ms`)
    await client.close()
    await index.close()
  } finally {
    await scene.cleanup()
  }
}

main().catch(err => { console.error(err); process.exit(1) })
