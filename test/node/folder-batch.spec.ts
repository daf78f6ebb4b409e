import assert from 'node:assert/strict'
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { Cleanup, countingDialer, makeHost, makeProvider, randomFile, shareFile, tempDir } from '../transfer/helpers.js'
import { Finder } from '../../src/node/finder.js'
import { Downloads } from '../../src/node/downloads.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { IndexResponse } from '../../src/wire/index.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { sendLp } from '../../src/wire/framing.js'
import { DEFAULT_LIMITS } from '../../src/config/constants.js'
import { Seeder } from '../../src/node/seeder.js'
import { ShareIndex } from '../../src/share/share-index.js'
import { chunkServer } from '../../src/transfer/server.js'
import { fetchBatch } from '../../src/transfer/batch.js'
import { FAST_WATCH, waitFor } from '../share/helpers.js'
import type { ChunkServer } from '../../src/transfer/server.js'
import type { NodeConfig } from '../../src/config/load.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Host } from '../../src/host/create-host.js'

const KiB = 1024

/** A coordinator that lists `files` and names `provider` for every one. */
async function fakeCoordinator (cleanup: Cleanup, files: SharedFile[], provider: Host): Promise<string> {
  const coordinator = await makeHost(cleanup)
  const info = { peerId: peerIdFromString(provider.peerId.toString()).toMultihash().bytes, addrs: provider.getMultiaddrs().map(a => a.bytes), online: true }
  const answer = IndexResponse.encode({
    status: IndexResponse.Status.OK,
    code: '',
    error: '',
    entries: files.map(f => ({ name: f.name, fileId: f.fileId.bytes as Uint8Array<ArrayBuffer>, size: f.size, mtime: 0, peerId: info.peerId as Uint8Array<ArrayBuffer> })),
    nextCursor: '',
    results: files.map(f => ({ fileId: f.fileId.bytes as Uint8Array<ArrayBuffer>, name: f.name, size: f.size, providers: [info as any] })),
    accepted: 0,
    providers: [info as any]
  } as any)
  await coordinator.handle(INDEX_PROTOCOL, async (stream) => {
    const reader = new StreamReader(stream)
    while (await reader.readLp(MAX_INDEX_FRAME) != null) await sendLp(stream, answer)
    await stream.close()
  })
  return coordinator.getMultiaddrs()[0].toString()
}

describe('node: a folder get of many small files', function () {
  this.timeout(120_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  it('shares streams between files: 80 files and a large one over fewer streams than files', async () => {
    const dir = await tempDir(cleanup, 'fsnode-folder-batch-')
    const provider = await makeProvider(cleanup)
    const files: SharedFile[] = []
    for (let i = 0; i < 80; i++) files.push(provider.source.add(await shareFile(await randomFile(join(dir, `src-${i}`), 16 * KiB), `photos/${i % 4}/img-${i}.jpg`)))
    files.push(provider.source.add(await shareFile(await randomFile(join(dir, 'big'), 3 * 1024 * KiB), 'photos/big.bin')))
    const client = await makeHost(cleanup)
    const finder = new Finder(client, [await fakeCoordinator(cleanup, files, provider.host)])
    cleanup.add(async () => { await finder.close() })
    const counting = countingDialer(client)
    const out = join(dir, 'out')
    const config = { downloadsDir: out, seed: false, limits: { ...DEFAULT_LIMITS } } as unknown as NodeConfig
    const host = new Proxy(client, { get: (t, p) => p === 'dial' ? counting.node.dial : (t as any)[p] })
    const downloads = new Downloads({ host, finder, config })

    const r = await downloads.get('photos/', { out })
    assert.equal(r.files?.length, files.length)
    for (const f of files) assert.ok((await readFile(join(out, f.name))).equals(await readFile(f.path)), f.name)
    // before: a manifest stream and a chunk stream per file (160+ for 81 files)
    assert.ok(counting.streams() < 20, `${counting.streams()} chunk streams for ${files.length} files`)
  })

  it('seeds the folder in a few index updates; every file is then served to a third node, a file replaced after is not', async () => {
    const dir = await tempDir(cleanup, 'fsnode-folder-seed-')
    const provider = await makeProvider(cleanup)
    const files: SharedFile[] = []
    for (let i = 0; i < 120; i++) files.push(provider.source.add(await shareFile(await randomFile(join(dir, `src-${i}`), 4 * KiB + i), `album/${i % 3}/img-${i}.jpg`)))
    // the downloader as a node runs it: a share index served by its chunk server, a seeder
    const index = new ShareIndex({ dataDir: join(dir, 'data'), roots: [{ path: join(dir, 'share') }], watch: FAST_WATCH, flushMs: 20 })
    await mkdir(join(dir, 'share'))
    await randomFile(join(dir, 'share', 'own.bin'), 100)
    await index.start()
    cleanup.add(async () => { await index.stop() })
    const changes: number[] = []
    index.addEventListener('change', e => { changes.push((e as CustomEvent).detail.added.length) })
    const client = await makeHost<{ chunkServer: ChunkServer }>(cleanup, { chunkServer: chunkServer({ source: index }) })
    const finder = new Finder(client, [await fakeCoordinator(cleanup, files, provider.host)])
    cleanup.add(async () => { await finder.close() })
    const out = join(dir, 'out')
    const config = { downloadsDir: out, seed: true, limits: { ...DEFAULT_LIMITS } } as unknown as NodeConfig
    const seeder = new Seeder(index)
    const downloads = new Downloads({ host: client, finder, config, share: index, fetched: async f => { await seeder.seed(f) } })

    const r = await downloads.get('album/', { out })
    assert.equal(r.files?.length, files.length)
    for (const f of files) assert.equal(index.getByName(f.name)?.path, join(out, f.name), `${f.name} seeded`)
    // one delta per group of seeds, not one per file
    assert.ok(changes.length <= 3, `${changes.length} share index deltas for ${files.length} seeds`)

    // a third node fetches the whole folder from the downloader alone
    const third = await makeHost(cleanup)
    const served = await fetchBatch({
      node: third,
      provider: { peerId: client.peerId, addrs: client.getMultiaddrs() },
      files: files.map(f => ({ fileId: f.fileId, name: f.name, size: f.size })),
      outDir: join(dir, 'third')
    })
    assert.deepEqual(served.rest, [])
    assert.equal(served.placed.length, files.length)
    for (const f of files) assert.ok((await readFile(join(dir, 'third', f.name))).equals(await readFile(f.path)), f.name)

    // replaced after the download (another file renamed over it, a link to a private file): no
    // longer served, neither as it was nor with the new content
    const secret = join(dir, 'secret.txt')
    await writeFile(secret, 'private\n')
    const [a, b] = [files[0], files[1]]
    await writeFile(join(out, `${a.name}.new`), 'another file')
    await rename(join(out, `${a.name}.new`), join(out, a.name))
    await symlink(secret, join(out, `${b.name}.link`))
    await rename(join(out, `${b.name}.link`), join(out, b.name))
    await waitFor('the replaced files unshared', () => index.getByName(a.name) == null && index.getByName(b.name) == null, 10_000)
    const again = await fetchBatch({
      node: third,
      provider: { peerId: client.peerId, addrs: client.getMultiaddrs() },
      files: [a, b, files[2]].map(f => ({ fileId: f.fileId, name: f.name, size: f.size })),
      outDir: join(dir, 'fourth')
    })
    assert.deepEqual(again.placed.map(p => p.file.name), [files[2].name])
    assert.deepEqual(again.rest.map(x => x.file.name).sort(), [a.name, b.name].sort())
    assert.equal(index.files().some(f => f.path === secret || f.size === 'another file'.length), false)
    assert.ok(index.getByName('own.bin') != null, 'the share folder is still shared')
  })
})
