// Coordinator scale, querying side: a fresh process with one host (as a node or the CLI would be)
// runs the searches and lookups listed in --queries-file against the coordinator, one at a time,
// while coordinator-load keeps its simulated peers connected. Queries used to run inside the load
// process, next to 100 hosts and 100,000 announced entries, whose garbage collections and timers
// then counted as coordinator latency.
// V8's default heap settings here, not tuneHeap(): this process measures the coordinator, and
// decoding a 500-entry page in a 2 MB young generation added ~5 ms of its own scavenges to every
// search.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/host/create-host.js'
import { IndexClient } from '../../src/index/client.js'
import { emit, main } from '../lib/child.js'
import { percentile } from '../lib/stats.js'
import { now, sleep } from '../lib/time.js'

/** Searches and lookups, as coordinator-load writes them. */
export interface QueryPlan {
  searches: Array<{ text: string, unique: boolean }>
  lookups: Array<{ name: string } | { fileId: string }>
}

/** Queries run first and not counted: the dial, the stream and the first JIT compilation. */
const WARMUP = 5
/** Per call, as coordinator-load's peers: a loaded machine must slow the case, not fail it. */
const CALL_TIMEOUT_MS = 120_000
/** The first call dials: retried like coordinator-load's dials. */
const DIAL_ATTEMPTS = 5

function summary (ms: number[]): { n: number, p50: number, p99: number, max: number } {
  return { n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) }
}

main(async () => {
  const { values } = parseArgs({ options: { coordinator: { type: 'string' }, 'queries-file': { type: 'string' } } })
  if (values.coordinator == null || values['queries-file'] == null) throw new Error('usage: --coordinator MA --queries-file FILE')
  const plan = JSON.parse(await readFile(values['queries-file'], 'utf8')) as QueryPlan
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  const client = IndexClient.forNode(host, multiaddr(values.coordinator), { timeout: CALL_TIMEOUT_MS })
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.search(plan.searches[0].text)
        break
      } catch (err: any) {
        if (attempt >= DIAL_ATTEMPTS) throw new Error(`first search (dial): ${String(err.message)}`)
        await sleep(1000 * attempt)
      }
    }
    for (let i = 1; i < WARMUP; i++) await client.search(plan.searches[i % plan.searches.length].text)
    const searchMs: number[] = []
    const commonMs: number[] = []
    const uniqueMs: number[] = []
    const hits: number[] = []
    // monotonic microseconds (the clock of a --cpu-prof profile): the searches' window
    const searchStartUs = Number(process.hrtime.bigint() / 1000n)
    for (const q of plan.searches) {
      const t = now()
      const page = await client.search(q.text)
      const ms = now() - t
      searchMs.push(ms)
      ;(q.unique ? uniqueMs : commonMs).push(ms)
      hits.push(page.entries.length)
      if (q.unique && page.entries.length !== 1) throw new Error(`search for ${q.text} found ${page.entries.length} entries, expected 1`)
    }
    const searchEndUs = Number(process.hrtime.bigint() / 1000n)
    const lookupMs: number[] = []
    for (const q of plan.lookups) {
      const t = now()
      const results = await client.lookup(q)
      lookupMs.push(now() - t)
      if (results.length === 0 || results[0].providers.length === 0) throw new Error(`lookup of ${JSON.stringify(q)} found no provider`)
    }
    emit('result', {
      search: { ...summary(searchMs), hitsMedian: percentile(hits, 50) },
      searchCommonWords: summary(commonMs),
      searchUniqueToken: summary(uniqueMs),
      lookup: summary(lookupMs),
      searchWindowUs: [searchStartUs, searchEndUs]
    })
  } finally {
    await client.close()
    await host.stop()
  }
})
