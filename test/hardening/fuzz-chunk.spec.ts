import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { CHUNK_PROTOCOL, MAX_CHUNK_REQUEST_FRAME, MAX_CHUNK_RESPONSE_HEADER } from '../../src/wire/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { download } from '../../src/transfer/downloader.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from '../transfer/helpers.js'
import { fileIdOf } from '../index/helpers.js'
import { HEAP_MARGIN, RejectionGuard, Rng, fuzzCases, fuzzSeed, fuzzStreamBytes, hex, pool, settledHeap } from './fuzz.js'
import { rawExchange, until } from './net.js'
import type { TestProvider } from '../transfer/helpers.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Connection } from '@libp2p/interface'

const FUZZ_HOSTS = 3
const STREAMS_PER_HOST = 4
const CASE_DEADLINE = 5_000
const HONEST_EVERY = 250

describe('hardening: fuzzing the chunk protocol', function () {
  const cases = fuzzCases()
  this.timeout(60_000 + cases * 20)
  const guard = new RejectionGuard()
  const cleanup = new Cleanup()
  let provider: TestProvider
  let files: SharedFile[]

  before(async () => {
    guard.install()
    const dir = await tempDir(cleanup)
    provider = await makeProvider(cleanup, { idleTimeout: 1_000, sendTimeout: 2_000 })
    files = [
      provider.source.add(await shareFile(await randomFile(join(dir, 'tiny.bin'), 1000), 'tiny.bin')),
      provider.source.add(await shareFile(await randomFile(join(dir, 'two.bin'), 256 * 1024 + 100), 'two.bin'))
    ]
  })
  after(async () => {
    await cleanup.run()
    guard.uninstall()
  })

  it(`survives ${cases} random and mutated requests; what it serves is always right`, async () => {
    const seed = fuzzSeed()
    const ids = [...files.map(f => f.fileId.bytes), (await fileIdOf('not shared')).bytes, new TextEncoder().encode('../../etc/passwd'), new Uint8Array(0)]
    const known = new Set<string>()
    for (const f of files) {
      known.add(Buffer.from(f.manifest.bytes).toString('hex'))
      for (let i = 0; i < f.manifest.chunks; i++) known.add(Buffer.from(f.manifest.chunkHash(i)).toString('hex'))
    }
    const addr = multiaddr(provider.info.addrs[0])
    const hosts = await Promise.all(Array.from({ length: FUZZ_HOSTS }, async () => await makeHost(cleanup)))
    const conns: Connection[] = await Promise.all(hosts.map(async h => await h.dial(addr, { signal: AbortSignal.timeout(5_000) })))
    const client = await makeHost(cleanup)
    const heapBefore = await settledHeap()
    const endings: Record<string, number> = {}
    const statuses: Record<string, number> = {}
    const problems: string[] = []
    const started = Date.now()

    await pool(cases, FUZZ_HOSTS * STREAMS_PER_HOST, async i => {
      const rng = new Rng(seed + i * 104_729)
      const bytes = fuzzStreamBytes(rng, () => encodeRequest(rng, ids), MAX_CHUNK_REQUEST_FRAME)
      const r = await rawExchange(conns[i % conns.length], CHUNK_PROTOCOL, bytes, { deadline: CASE_DEADLINE })
      endings[r.ending] = (endings[r.ending] ?? 0) + 1
      if (r.ending === 'hung') problems.push(`case ${i} hung (seed ${seed}): ${hex(bytes)}`)
      for (const problem of checkResponses(r.received, r.ending === 'closed', known, statuses)) problems.push(`case ${i}: ${problem}`)
      if (i % HONEST_EVERY === 0) await honestDownload(client, files[1], provider, cleanup)
    })

    const seconds = (Date.now() - started) / 1000
    console.log(`      chunk fuzz: ${cases} cases in ${seconds.toFixed(1)} s, seed ${seed}; endings ${JSON.stringify(endings)}; responses ${JSON.stringify(statuses)}`)
    assert.deepEqual(problems.slice(0, 10), [])
    assert.ok((statuses.BAD_REQUEST ?? 0) > 0 && (statuses.OK ?? 0) > 0, 'the cases reached both the decoder and the file reads')
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)

    await until(() => provider.server.activeStreams === 0, 'the chunk server to drop every fuzz stream')
    const grown = await settledHeap() - heapBefore
    assert.ok(grown < HEAP_MARGIN, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
    await honestDownload(client, files[1], provider, cleanup)
  })
})

/** A fetch by the real downloader from the fuzzed provider must work at any time. */
async function honestDownload (client: Awaited<ReturnType<typeof makeHost>>, file: SharedFile, provider: TestProvider, cleanup: Cleanup): Promise<void> {
  const out = await tempDir(cleanup)
  const r = await download({ node: client, fileId: file.fileId, name: 'honest.bin', providers: [provider.info], outDir: out, signal: AbortSignal.timeout(10_000) })
  assert.equal(await sha256File(r.path), await sha256File(file.path))
}

function encodeRequest (rng: Rng, ids: Uint8Array[]): Uint8Array {
  const type = rng.pick([ChunkRequest.Type.MANIFEST, ChunkRequest.Type.CHUNK, ChunkRequest.Type.CHUNK, ChunkRequest.Type.UNKNOWN])
  const index = rng.pick([0, 0, 1, 1, 2, 2 ** 31, 2 ** 32 - 1])
  const body = ChunkRequest.encode({ type, fileId: rng.pick(ids) as Uint8Array<ArrayBuffer>, index })
  // a type number the enum does not know, written by hand
  return rng.chance(0.05) ? new Uint8Array([0x08, rng.pick([3, 7, 127]), ...body]) : body
}

/** Walk header + body pairs; every OK body must be a manifest or a chunk the provider shares. */
function checkResponses (bytes: Uint8Array, complete: boolean, known: Set<string>, statuses: Record<string, number>): string[] {
  const problems: string[] = []
  let off = 0
  while (off < bytes.byteLength) {
    let len: number
    try { len = varint.decode(bytes, off) } catch { problems.push('bad header length'); break }
    const start = off + varint.encodingLength(len)
    if (len > MAX_CHUNK_RESPONSE_HEADER) { problems.push(`header of ${len} bytes`); break }
    if (start + len > bytes.byteLength) { if (complete) problems.push('truncated header'); break }
    let res: ChunkResponse
    try { res = ChunkResponse.decode(bytes.subarray(start, start + len)) } catch (err: any) { problems.push(`undecodable header: ${err.message}`); break }
    statuses[res.status] = (statuses[res.status] ?? 0) + 1
    off = start + len
    if (res.status !== ChunkResponse.Status.OK) {
      if (res.length !== 0) problems.push(`${res.status} with a body`)
      continue
    }
    if (off + res.length > bytes.byteLength) { if (complete) problems.push('truncated body'); break }
    const body = bytes.subarray(off, off + res.length)
    off += res.length
    const asManifest = Buffer.from(body).toString('hex')
    const asChunk = createHash('sha256').update(body).digest('hex')
    if (!known.has(asManifest) && !known.has(asChunk)) problems.push(`served ${body.byteLength} bytes that are neither a manifest nor a chunk`)
  }
  return problems
}
