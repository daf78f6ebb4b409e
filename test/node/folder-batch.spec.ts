import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
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
})
