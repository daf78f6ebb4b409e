import assert from 'node:assert/strict'
import { join } from 'node:path'
import { download } from '../../src/transfer/downloader.js'
import { ByteBudget } from '../../src/transfer/budget.js'
import { MAX_IN_FLIGHT_BYTES } from '../../src/transfer/constants.js'
import { MAX_CHUNK_SIZE } from '../../src/wire/file-manifest.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from './helpers.js'
import type { TestProvider } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'

const MiB = 1024 * 1024

/**
 * Bytes of chunks requested or waiting for the disk, counted by the budget every download
 * draws on (its `peak` is the most ever reserved at once). Before: 16 MiB chunks got at
 * least 4 in flight (64 MiB) per download, whatever MAX_IN_FLIGHT_BYTES said, with no bound
 * over the downloads of a node.
 */
describe('transfer: bytes in flight', function () {
  this.timeout(120_000)
  const cleanup = new Cleanup()
  let providers: TestProvider[]
  let client: Host
  let big: SharedFile
  let sum: string

  before(async () => {
    const dir = await tempDir(cleanup)
    providers = await Promise.all([1, 2, 3].map(async () => await makeProvider(cleanup)))
    client = await makeHost(cleanup)
    // 6 chunks of 16 MiB, the largest a manifest may declare
    big = await shareFile(await randomFile(join(dir, 'big.bin'), 6 * MAX_CHUNK_SIZE), 'big.bin', MAX_CHUNK_SIZE)
    for (const p of providers) p.source.add(big)
    sum = await sha256File(big.path)
  })
  after(async () => { await cleanup.run() })

  const get = async (budget: ByteBudget, options: { maxInFlightChunks?: number } = {}): Promise<string[]> => {
    const r = await download({
      // every provider: a busy machine would otherwise fetch from one (focus.spec)
      node: client, fileId: big.fileId, name: 'big.bin', providers: providers.map(p => p.info), outDir: await tempDir(cleanup), budget, focus: false, ...options
    })
    assert.equal(await sha256File(r.path), sum)
    return r.providersUsed
  }

  it('16 MiB chunks from three providers: at most MAX_IN_FLIGHT_BYTES per download', async () => {
    const node = new ByteBudget(Number.MAX_SAFE_INTEGER) // no node bound: the download's own
    const used = await get(node)
    console.log(`      peak ${node.peak / MiB} MiB in flight (bound ${MAX_IN_FLIGHT_BYTES / MiB} MiB), providers used: ${used.length}`)
    assert.ok(node.peak >= MAX_CHUNK_SIZE, 'chunks were counted')
    assert.ok(node.peak <= MAX_IN_FLIGHT_BYTES, `${node.peak / MiB} MiB in flight`)
    assert.equal(node.used, 0, 'every byte given back')
    assert.ok(used.length >= 2, `the two chunks in flight go to different providers (used ${used.length})`)
  })

  it('three downloads at once keep to the node bound together', async () => {
    const node = new ByteBudget(2 * MAX_CHUNK_SIZE)
    await Promise.all([get(node), get(node), get(node)])
    console.log(`      peak ${node.peak / MiB} MiB in flight over three downloads (bound ${node.limit / MiB} MiB)`)
    assert.ok(node.peak <= node.limit, `${node.peak / MiB} MiB in flight`)
    assert.equal(node.used, 0, 'every byte given back')
  })

  it('node.limits.maxInflightChunks caps the chunks in flight', async () => {
    const node = new ByteBudget(Number.MAX_SAFE_INTEGER)
    await get(node, { maxInFlightChunks: 1 })
    assert.equal(node.peak, MAX_CHUNK_SIZE)
  })

  it('a node bound below one chunk slows a download, never hangs it', async () => {
    const node = new ByteBudget(MiB)
    await get(node)
    assert.equal(node.peak, MAX_CHUNK_SIZE)
  })
})
