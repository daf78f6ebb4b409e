// Coordinator scale: N simulated peers (libp2p hosts with fsnode's transport stack, all in this
// process) announce F files in total to a running `fsnode coordinator` over
// /fileshare/index/1.0.0 (IndexClient from src/index/client.ts); then a separate process
// (coordinator-query) runs searches and lookups one at a time. Reports the announce rate and
// query latencies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { createHost } from '../../src/host/create-host.js'
import { IndexClient } from '../../src/index/client.js'
import type { AnnounceFile } from '../../src/index/client.js'
import type { Host } from '../../src/host/create-host.js'
import { emit, main, numberArg, onTerminate } from '../lib/child.js'
import { runScript } from '../lib/proc.js'
import type { QueryPlan } from './coordinator-query.js'
import { percentile } from '../lib/stats.js'
import { now, sleep } from '../lib/time.js'

const LISTEN = '/ip4/127.0.0.1/tcp/0'
/** Hosts started and connected at a time (the coordinator refuses bursts of inbound connections). */
const CONNECT_CONCURRENCY = 10
/** Under load (2 cores, load average 15-20) a dial's upgrade can pass the coordinator's 5 s
 * inbound upgrade timeout: retried, with a growing pause, rather than failing the case. */
const CONNECT_ATTEMPTS = 10
const CONNECT_RETRY_MS = 1_000
const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
  'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu', 'report', 'holiday', 'invoice', 'photo',
  'summer', 'winter', 'budget', 'draft', 'final', 'notes', 'music', 'video', 'backup', 'project'
]
const EXTENSIONS = ['pdf', 'jpg', 'mp3', 'txt', 'mkv', 'zip', 'docx', 'png']
const FILE_SIZE_MAX = 100 * 1024 * 1024
const QUERY_TIMEOUT_MS = 5 * 60_000
/** Per call: 100 peers announcing at once on a loaded 2-core machine took longer than the
 * client's default 15 s (the case failed, twice in a row, on 2026-12-01). */
const CALL_TIMEOUT_MS = 120_000

/** A word chosen by a seed, so names are varied but reproducible. */
function word (seed: number): string {
  return WORDS[seed % WORDS.length]
}

/** A token that only this file's name has (searching it finds exactly one entry). */
function uniqueToken (peer: number, i: number): string {
  return `id${String(peer).padStart(3, '0')}x${String(i).padStart(6, '0')}`
}

function makeFiles (peer: number, count: number): AnnounceFile[] {
  const files: AnnounceFile[] = []
  for (let i = 0; i < count; i++) {
    const s = peer * 7919 + i * 104729
    const name = `peer${peer}/${word(s)}-${word(s >> 3)}/${word(s >> 5)} ${word(s >> 7)} ${uniqueToken(peer, i)}.${EXTENSIONS[i % EXTENSIONS.length]}`
    const fileId = CID.createV1(raw.code, createDigest(sha256.code, randomBytes(32)))
    files.push({ name, fileId, size: 1 + (s % FILE_SIZE_MAX), mtime: Date.now() - (s % 1e9) })
  }
  return files
}

async function withRetry<T> (fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= CONNECT_ATTEMPTS) throw err
      await sleep(Math.min(CONNECT_RETRY_MS * attempt, 5_000))
    }
  }
}

/** Run one phase; a failure says which phase and which peer. */
async function phase<T> (what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err: any) {
    throw new Error(`${what}: ${String(err?.message ?? err)}`)
  }
}

async function mapLimit<T, R> (items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }))
  return out
}

interface Peer { index: number, host: Host, client: IndexClient, files: AnnounceFile[] }

function latencySummary (ms: number[]): Record<string, number> {
  return { n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) }
}

main(async () => {
  const { values } = parseArgs({
    options: { coordinator: { type: 'string' }, peers: { type: 'string' }, files: { type: 'string' }, queries: { type: 'string' } }
  })
  if (values.coordinator == null) throw new Error('--coordinator is required')
  const coordinator = multiaddr(values.coordinator)
  const peerCount = numberArg(values.peers, 'peers')
  const totalFiles = numberArg(values.files, 'files')
  const queries = numberArg(values.queries, 'queries')
  const perPeer = Math.ceil(totalFiles / peerCount)

  const peers: Peer[] = []
  onTerminate(async () => { await Promise.all(peers.map(async p => await p.host.stop())) })

  // hosts up and connected first: connection setup is not part of the announce rate
  const setupStart = now()
  await mapLimit(Array.from({ length: peerCount }, (_, i) => i), CONNECT_CONCURRENCY, async i => {
    const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [LISTEN] })
    const count = Math.max(1, Math.min(perPeer, totalFiles - i * perPeer))
    const peer: Peer = { index: i, host, client: IndexClient.forNode(host, coordinator, { timeout: CALL_TIMEOUT_MS }), files: makeFiles(i, count) }
    peers.push(peer)
    await phase(`peer ${i} connecting (${CONNECT_ATTEMPTS} attempts)`, async () => await withRetry(async () => await host.dial(coordinator)))
  })
  const setupSeconds = (now() - setupStart) / 1000

  // every peer announces its snapshot at once
  const announceMs: number[] = []
  const announceStart = now()
  const accepted = await Promise.all(peers.map(async p => {
    const t = now()
    const r = await phase(`peer ${p.index} announcing`, async () => await p.client.announce({ replace: true, files: p.files, addrs: p.host.getMultiaddrs() }))
    announceMs.push(now() - t)
    return r.accepted
  }))
  const announceSeconds = (now() - announceStart) / 1000
  const announced = peers.reduce((n, p) => n + p.files.length, 0)
  const acceptedTotal = accepted.reduce((a, b) => a + b, 0)
  if (acceptedTotal !== announced) throw new Error(`coordinator accepted ${acceptedTotal} of ${announced} entries`)

  // the queries run in a process of their own (coordinator-query), with these peers still
  // connected: half the searches common words (many hits), half unique tokens; lookups by name
  // and by file id
  const plan: QueryPlan = { searches: [], lookups: [] }
  for (let q = 0; q < queries; q++) {
    const p = peers[(q * 31) % peers.length]
    const i = (q * 97) % p.files.length
    plan.searches.push(q % 2 === 0 ? { text: `${word(q)} ${word(q >> 2)}`, unique: false } : { text: uniqueToken(p.index, i), unique: true })
  }
  for (let q = 0; q < queries; q++) {
    const p = peers[(q * 37) % peers.length]
    const f = p.files[(q * 89) % p.files.length]
    plan.lookups.push(q % 2 === 0 ? { name: f.name } : { fileId: (f.fileId as CID).toString() })
  }
  const dir = await mkdtemp(join(tmpdir(), 'fsnode-bench-queries-'))
  let measured: Record<string, unknown>
  try {
    const file = join(dir, 'queries.json')
    await writeFile(file, JSON.stringify(plan))
    const { kind, ...figures } = await phase('queries', async () => await runScript('scripts/coordinator-query', ['--coordinator', values.coordinator as string, '--queries-file', file], { timeoutMs: QUERY_TIMEOUT_MS }))
    measured = figures
  } finally {
    await rm(dir, { recursive: true, force: true })
  }

  emit('result', {
    peers: peers.length,
    files: announced,
    setupSeconds,
    announceSeconds,
    announceRate: announced / announceSeconds,
    announcePerPeerMs: latencySummary(announceMs),
    ...measured
  })
  await Promise.all(peers.map(async p => { await p.client.close(); await p.host.stop() }))
})
