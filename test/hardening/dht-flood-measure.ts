// Opt-in measurement (not a spec: a full flood takes minutes on a loaded machine):
//   npm run build && npx node dist/test/hardening/dht-flood-measure.js [--messages 60000] [--identities 1] [--streams 4] [--ping]
// Starts a real node (`fsnode start`, its own process), has an honest peer provide one file id
// to it, then floods it with ADD_PROVIDER messages for random file ids from `identities` peer
// ids, and prints the node's RSS and its GET_PROVIDERS latency for the honest id before and after.
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { procStatusBytes } from '../../bench/lib/rss.js'
import { Sandbox, sleep } from '../e2e/harness.js'
import { hostileHost } from './hosts.js'
import { addProviders, getProviders, randomCid } from './kad-client.js'
import type { FloodResult } from './kad-client.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MB = 1024 * 1024
/** GET_PROVIDERS asked this many times per measurement (the median is reported). */
const SAMPLES = 9
/** Let the node settle (start-up work, GC) before reading its RSS. */
const SETTLE_MS = 5_000
const FLOOD_TIMEOUT = 30 * 60_000
/** Flooding peers connected at once. */
const PEERS_AT_ONCE = 4

async function latency (host: Libp2p, target: Multiaddr, cid: CID): Promise<{ median: number, found: boolean }> {
  const times: number[] = []
  let found = true
  for (let i = 0; i < SAMPLES; i++) {
    const a = await getProviders(host, target, cid, AbortSignal.timeout(10_000))
    times.push(a.ms)
    found &&= a.providers.some(p => p.equals(host.peerId))
  }
  times.sort((x, y) => x - y)
  return { median: times[Math.floor(times.length / 2)], found }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '60000' },
      identities: { type: 'string', default: '1' },
      streams: { type: 'string', default: '4' },
      // PINGs instead of ADD_PROVIDER: the cost of handling the messages without storing anything
      ping: { type: 'boolean', default: false }
    }
  })
  const messages = Number(values.messages)
  const identities = Math.max(1, Number(values.identities))
  const streams = Number(values.streams)
  const sb = await Sandbox.create()
  const cleanup: Array<() => Promise<void>> = []
  const defer = (fn: () => Promise<void>): void => { cleanup.push(fn) }
  try {
    await sb.mkdir('share')
    const daemon = await sb.daemon(['start', '--data-dir', sb.path('data'), '--share', sb.path('share'), '--listen', LOCAL])
    const pid = daemon.child.pid as number
    const target = multiaddr(daemon.addr)
    const rss = (): number => (procStatusBytes(pid, 'VmRSS') ?? 0) / MB

    const honest = await hostileHost(defer)
    const legit = randomCid()
    await addProviders(honest, target, [legit], { signal: AbortSignal.timeout(10_000) })
    await sleep(SETTLE_MS)
    const before = { rss: rss(), get: await latency(honest, target, legit) }

    const attackers = await Promise.all(Array.from({ length: identities }, async () => await hostileHost(defer)))
    const per = Math.ceil(messages / identities)
    const cids = Array.from({ length: messages }, () => randomCid())
    let peak = rss()
    const sampler = setInterval(() => { peak = Math.max(peak, rss()) }, 100)
    const started = Date.now()
    const signal = AbortSignal.timeout(FLOOD_TIMEOUT)
    let reported = 0
    let unreached = 0
    const flood = async (a: Libp2p, i: number): Promise<FloodResult> => await addProviders(a, target, cids.slice(i * per, (i + 1) * per), {
      streams,
      signal,
      pingOnly: values.ping,
      persist: true,
      progress: (n) => {
        if (i === 0 && n - reported >= 10_000) {
          reported = n
          process.stderr.write(`  ${n} messages sent by the first peer, RSS ${rss().toFixed(0)} MB\n`)
        }
      }
    }).catch((err: Error) => {
      // a dial that times out on a loaded machine: this peer sent nothing, the flood goes on
      unreached++
      process.stderr.write(`  peer ${i} could not flood: ${err.message}\n`)
      return { handled: 0, refused: 0, denied: 0 }
    })
    // a few peers at a time: many handshakes at once from one IP are refused (inbound guard)
    const results: FloodResult[] = []
    for (let i = 0; i < attackers.length; i += PEERS_AT_ONCE) {
      results.push(...await Promise.all(attackers.slice(i, i + PEERS_AT_ONCE).map(async (a, j) => await flood(a, i + j))))
      if (attackers.length > PEERS_AT_ONCE) process.stderr.write(`  ${Math.min(i + PEERS_AT_ONCE, attackers.length)} peers done, RSS ${rss().toFixed(0)} MB\n`)
    }
    const floodS = (Date.now() - started) / 1000
    const rightAfter = rss()
    await sleep(SETTLE_MS)
    clearInterval(sampler)
    const after = { rss: rss(), get: await latency(honest, target, legit) }
    const first = await getProviders(honest, target, cids[0], AbortSignal.timeout(10_000))
    const last = await getProviders(honest, target, cids[cids.length - 1], AbortSignal.timeout(10_000))

    const out = {
      kind: values.ping ? 'PING' : 'ADD_PROVIDER',
      messages,
      identities,
      unreached,
      floodSeconds: floodS,
      // messages in batches the node handled to the end / whose stream it reset
      handled: results.reduce((n, r) => n + r.handled, 0),
      refused: results.reduce((n, r) => n + r.refused, 0),
      // messages never sent: the node cut the peer off (connection closed, new ones refused)
      denied: results.reduce((n, r) => n + r.denied, 0),
      rssMB: { before: before.rss, rightAfter, after: after.rss, peak, growth: after.rss - before.rss },
      getProvidersMs: { before: before.get.median, after: after.get.median },
      honestRecordFound: { before: before.get.found, after: after.get.found },
      floodRecordsAnswered: { first: first.providers.length, last: last.providers.length }
    }
    process.stdout.write(JSON.stringify(out, null, 2) + '\n')
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => {})
    await sb.cleanup()
  }
}

main().catch(err => {
  process.stderr.write(`dht-flood-measure: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
