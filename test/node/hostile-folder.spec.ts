import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from '../transfer/helpers.js'
import { Finder } from '../../src/node/finder.js'
import { Downloads } from '../../src/node/downloads.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { IndexResponse } from '../../src/wire/index.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { sendLp } from '../../src/wire/framing.js'
import { DEFAULT_LIMITS } from '../../src/config/constants.js'
import type { NodeConfig } from '../../src/config/load.js'
import type { SharedFile } from '../../src/share/types.js'

/** Every file under `dir`, relative. */
async function tree (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)))
  }
  return out.sort()
}

describe('node: a folder get from a hostile coordinator', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  it('names that try to escape --out are written inside it', async () => {
    const dir = await tempDir(cleanup, 'fsnode-hostile-folder-')
    const provider = await makeProvider(cleanup)
    const hostileNames = ['evil/ok.txt', 'evil/../../escape.txt', 'evil/../../../../tmp/abs.txt', 'evil/sub/../../../up.txt']
    const files: SharedFile[] = []
    for (const [i, name] of hostileNames.entries()) {
      const path = await randomFile(join(dir, `src-${i}`), 1000 + i)
      files.push(provider.source.add(await shareFile(path, name)))
    }
    // a coordinator that lists those names under evil/ and names the provider for every id
    const coordinator = await makeHost(cleanup)
    const providerInfo = { peerId: peerIdFromString(provider.info.peerId).toMultihash().bytes, addrs: provider.host.getMultiaddrs().map(a => a.bytes), online: true }
    const answer = IndexResponse.encode({
      status: IndexResponse.Status.OK,
      code: '',
      error: '',
      entries: files.map(f => ({ name: f.name, fileId: f.fileId.bytes as Uint8Array<ArrayBuffer>, size: f.size, mtime: 0, peerId: providerInfo.peerId as Uint8Array<ArrayBuffer> })),
      nextCursor: '',
      results: files.map(f => ({ fileId: f.fileId.bytes as Uint8Array<ArrayBuffer>, name: f.name, size: f.size, providers: [providerInfo as any] })),
      accepted: 0,
      providers: [providerInfo as any]
    } as any)
    await coordinator.handle(INDEX_PROTOCOL, async (stream) => {
      const reader = new StreamReader(stream)
      while (await reader.readLp(MAX_INDEX_FRAME) != null) await sendLp(stream, answer)
      await stream.close()
    })
    const client = await makeHost(cleanup)
    const coordAddr = `${coordinator.getMultiaddrs()[0].toString()}`
    const finder = new Finder(client, [coordAddr])
    cleanup.add(async () => { await finder.close() })
    const out = join(dir, 'deep', 'out')
    const config = { downloadsDir: out, seed: false, limits: { ...DEFAULT_LIMITS } } as unknown as NodeConfig
    const downloads = new Downloads({ host: client as any, finder, config })

    const r = await downloads.get('evil/', { out })
    assert.equal(r.files?.length, hostileNames.length)
    // everything landed inside out/, nothing next to it or above it
    for (const f of r.files ?? []) assert.ok(!relative(out, f.path).startsWith('..'), `${f.path} is inside ${out}`)
    assert.equal((await tree(join(dir, 'deep'))).filter(p => !p.startsWith('out/')).length, 0, 'nothing written beside out/')
    assert.deepEqual((await readdir(dir)).filter(n => /escape|abs|up/.test(n)), [], 'nothing written above out/')
    for (const [i, f] of files.entries()) {
      const got: { path: string } | undefined = r.files?.find(x => x.fileId === f.fileId.toString())
      assert.ok(got != null, hostileNames[i])
      assert.equal(await sha256File(got.path), await sha256File(f.path))
    }
  })
})
