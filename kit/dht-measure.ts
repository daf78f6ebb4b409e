/**
 * DHT figures for the note and `npm run bench`: how long finding a provider takes in a network
 * of N nodes on this machine, and what providing (and so each refresh of a record) costs.
 * Every node is a real libp2p host on 127.0.0.1 in this process.
 *
 *   const m = await measureDhtLookup({ hosts: 50 })
 */
import { toString as toText } from 'uint8arrays/to-string'
import { providerRecords } from '../src/host/dht.js'
import { REPROVIDE_THRESHOLD, PROVIDE_VALIDITY } from '../src/host/constants.js'
import { Scene, addrOf, fileIdOf, mapLimit, tableSize, waitFor } from './hosts.js'
import type { NetHost } from './hosts.js'
import type { CID } from 'multiformats/cid'

/** Nodes started together while the network grows. */
const JOIN_BATCH = 5
const DAY = 24 * 60 * 60 * 1000

export interface DhtMeasureOptions {
  hosts?: number
  /** Lookups (and provides: one file id per lookup, each by another node). */
  lookups?: number
  /** Per lookup and per provide. */
  timeoutMs?: number
  /** Called with progress lines (e.g. console.error). */
  log?: (line: string) => void
}

export interface Summary {
  median: number
  p90: number
  min: number
  max: number
}

export interface DhtMeasurement {
  hosts: number
  /** From creating the first host until every routing table held 5 peers or more (nodes are
   * started JOIN_BATCH at a time, each batch once the one before was in). */
  joinMs: number
  routingTable: Summary
  /** Time until the first provider is known (what a download waits for), all lookups. */
  lookupMs: Summary
  /** The same, only lookups that sent messages (the finder never holds the record itself:
   * one of the ~20 nodes holding it would answer from its own store in ~1 ms). */
  networkLookupMs: Summary
  networkLookups: number
  lookupMessages: Summary
  lookupsFound: number
  lookups: number
  /** Lookups by a node already connected to the provider (no shortcut is taken for them). */
  lookupsAlreadyConnected: number
  provideMs: Summary
  /** Peers that took each record. */
  providePeers: Summary
  /** DHT requests per provide; a refresh is the same operation. */
  provideMessages: Summary
  /** DHT payload bytes, both directions, at the providing node, per provide. */
  provideBytes: Summary
  /** DHT payload bytes sent by all nodes together while one provide ran (the provider's walk
   * and records, the answers of the others; background traffic of the moment included). */
  networkProvideBytes: Summary
  /** A node re-provides each shared file once per this many ms. */
  refreshEveryMs: number
  /** Per shared file per day, at the providing node: provideBytes.median x refreshes a day. */
  refreshBytesPerFilePerDay: number
  /** What keeping records fresh costs an average node per file it shares, per day, sent plus
   * received, its own refreshes and its part in everyone else's: every byte sent network-wide
   * is sent by one node and received by another, so 2 x networkProvideBytes.median x refreshes
   * a day (when every node shares as many files). */
  upkeepBytesPerFilePerDay: number
}

/** Does `host` store the record "`provider` provides `cid`"? */
async function holdsRecord (host: NetHost, cid: CID, provider: NetHost): Promise<boolean> {
  const prefix = `/dht/provider/${toText(cid.multihash.bytes, 'base32')}/${provider.peerId.toString()}`
  for await (const entry of (host as any).components.datastore.query({ prefix })) return entry != null
  return false
}

export function summary (values: number[]): Summary {
  if (values.length === 0) return { median: 0, p90: 0, min: 0, max: 0 }
  const s = [...values].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]
  return { median: at(0.5), p90: at(0.9), min: s[0], max: s[s.length - 1] }
}

export async function measureDhtLookup (options: DhtMeasureOptions = {}): Promise<DhtMeasurement> {
  const n = options.hosts ?? 50
  const lookups = options.lookups ?? 15
  const timeoutMs = options.timeoutMs ?? 15_000
  const log = options.log ?? (() => {})
  const scene = new Scene()
  try {
    // the network grows a few nodes at a time, as a real one does: fifty nodes dialling one
    // bootstrap node in the same instant, in one process on two cores, only measure the CPU
    const started = Date.now()
    const first = await scene.host({ dht: true })
    const boot = [addrOf(first)]
    const hosts: NetHost[] = [first]
    while (hosts.length < n) {
      const batch = await mapLimit(Array.from({ length: Math.min(JOIN_BATCH, n - hosts.length) }), JOIN_BATCH, async () => await scene.host({ dht: true, bootstrap: boot }))
      hosts.push(...batch)
      await waitFor(() => batch.every(h => tableSize(h) >= Math.min(3, hosts.length - 1)) ? true : undefined, 'new nodes to join', 60_000, 100)
        .catch(() => { log(`batch at ${hosts.length}: tables ${batch.map(tableSize).join(',')}, connections ${batch.map(h => h.getConnections().length).join(',')}`) })
    }
    await waitFor(() => hosts.every(h => tableSize(h) >= Math.min(5, n - 1)) ? true : undefined, 'routing tables', 60_000, 200)
    const joinMs = Date.now() - started
    log(`${n} nodes joined in ${joinMs} ms`)

    const provideMs: number[] = []
    const providePeers: number[] = []
    const provideMessages: number[] = []
    const provideBytes: number[] = []
    const networkProvideBytes: number[] = []
    const sentByAll = (): number => hosts.reduce((sum, h) => sum + (h.services.dhtTraffic?.stats().bytesOut ?? 0), 0)
    const lookupMs: number[] = []
    const lookupMessages: number[] = []
    const networkLookupMs: number[] = []
    let found = 0
    let alreadyConnected = 0
    for (let i = 0; i < lookups; i++) {
      const sharer = hosts[(i * 7 + 1) % n]
      const fileId = await fileIdOf(`measure ${i} ${Date.now()}`)
      const before = sharer.services.dhtTraffic?.stats()
      const allBefore = sentByAll()
      const provided = await providerRecords(sharer).provide(fileId, AbortSignal.timeout(timeoutMs))
      const after = sharer.services.dhtTraffic?.stats()
      networkProvideBytes.push(sentByAll() - allBefore)
      provideMs.push(provided.ms)
      providePeers.push(provided.peers)
      provideMessages.push(provided.messages)
      if (before != null && after != null) provideBytes.push(after.bytesIn + after.bytesOut - before.bytesIn - before.bytesOut)

      // a node holding the record answers from its own store in ~1 ms: ask one that does not
      let finder = hosts[(i * 13 + n - 2) % n]
      for (let j = 1; j < n && (finder === sharer || await holdsRecord(finder, fileId, sharer)); j++) finder = hosts[(i * 13 + n - 2 + j) % n]
      if (finder.getConnections(sharer.peerId).length > 0) alreadyConnected++
      const records = providerRecords(finder)
      const messagesBefore = records.stats().lookupMessages
      const t = Date.now()
      const providers = await records.findProviders(fileId, { signal: AbortSignal.timeout(timeoutMs), limit: 1 })
      lookupMs.push(Date.now() - t)
      lookupMessages.push(records.stats().lookupMessages - messagesBefore)
      if (lookupMessages[i] > 0) networkLookupMs.push(lookupMs[i])
      if (providers.some(p => p.peerId.equals(sharer.peerId))) found++
      log(`lookup ${i + 1}/${lookups}: provide ${provided.ms} ms (${provided.peers} peers, ${provided.messages} messages), find ${lookupMs[i]} ms (${lookupMessages[i]} messages)`)
    }
    const refreshEveryMs = PROVIDE_VALIDITY - REPROVIDE_THRESHOLD
    const refreshesPerDay = DAY / refreshEveryMs
    const provideBytesSummary = summary(provideBytes)
    const networkProvideBytesSummary = summary(networkProvideBytes)
    return {
      hosts: n,
      joinMs,
      routingTable: summary(hosts.map(tableSize)),
      lookupMs: summary(lookupMs),
      networkLookupMs: summary(networkLookupMs),
      networkLookups: networkLookupMs.length,
      lookupMessages: summary(lookupMessages),
      lookupsFound: found,
      lookups,
      lookupsAlreadyConnected: alreadyConnected,
      provideMs: summary(provideMs),
      providePeers: summary(providePeers),
      provideMessages: summary(provideMessages),
      provideBytes: provideBytesSummary,
      networkProvideBytes: networkProvideBytesSummary,
      refreshEveryMs,
      refreshBytesPerFilePerDay: Math.round(provideBytesSummary.median * refreshesPerDay),
      upkeepBytesPerFilePerDay: Math.round(2 * networkProvideBytesSummary.median * refreshesPerDay)
    }
  } finally {
    await scene.cleanup()
  }
}
