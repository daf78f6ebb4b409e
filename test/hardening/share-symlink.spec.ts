import assert from 'node:assert/strict'
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShareIndex } from '../../src/share/share-index.js'
import { chunkServer } from '../../src/transfer/server.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { Cleanup, makeHost, shareFile, tempDir } from '../transfer/helpers.js'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { ask as askChunk } from './chunk-client.js'
import type { Answer } from './chunk-client.js'
import type { Daemon } from '../e2e/harness.js'
import type { Host } from '../../src/host/create-host.js'
import type { HashQueue } from '../../src/share/hash-queue.js'
import type { CID } from 'multiformats/cid'

const SIZE = 64 * 1024
const INSIDE = Buffer.alloc(SIZE, 'inside ')
const PRIVATE = Buffer.alloc(SIZE, 'PRIVATE ')

/**
 * A folder symlink that stays inside the share, swapped for one leading to a private folder
 * outside at the worst moment: after the scan checked it and before the hasher or the chunk
 * server opens the files under it. The share index, chunk server and hosts are the real ones
 * (real files, real libp2p connections on 127.0.0.1); the index does not watch, so nothing but
 * the checks under test can notice the swap, and the moment of the swap is exact.
 */
describe('hardening: share folder symlink race', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  let share: string
  let secret: string
  let client: Host
  let addr: string
  let index: ShareIndex

  beforeEach(async () => {
    share = await tempDir(cleanup, 'fsnode-symlink-share-')
    secret = await tempDir(cleanup, 'fsnode-symlink-private-')
    await writeFile(join(share, 'a.txt'), 'a file at the top, scanned before any folder')
    await mkdir(join(share, 'inner'))
    await writeFile(join(share, 'inner', 'doc.txt'), INSIDE)
    await symlink(join(share, 'inner'), join(share, 'link'))
    // the same name as the shared file, and one that only the private folder has
    await writeFile(join(secret, 'doc.txt'), PRIVATE)
    await writeFile(join(secret, 'private.txt'), PRIVATE)

    index = new ShareIndex({ dataDir: await tempDir(cleanup, 'fsnode-symlink-data-'), roots: [{ path: share }], watch: false })
    cleanup.add(async () => { await index.stop() })
    const provider = await makeHost(cleanup, { chunkServer: chunkServer({ source: index }) })
    addr = provider.getMultiaddrs()[0].toString()
    client = await makeHost(cleanup)
  })
  afterEach(async () => { await cleanup.run() })

  /** Point `share/link` at the private folder, atomically (a rename over the old link). */
  async function swapLink (): Promise<void> {
    await symlink(secret, join(share, 'link.swap'))
    await rename(join(share, 'link.swap'), join(share, 'link'))
  }

  /** Run `swapLink` just before the index hands `name` to its hasher. */
  function swapBeforeHashing (name: string): void {
    const hashes = (index as any).hashes as HashQueue
    const submit = hashes.submit.bind(hashes)
    let swapped = false
    hashes.submit = async (root, n, f) => {
      if (n === name && !swapped) {
        swapped = true
        await swapLink()
      }
      await submit(root, n, f)
    }
  }

  const ask = async (fileId: CID, type = ChunkRequest.Type.CHUNK): Promise<Answer> => await askChunk(client, addr, fileId, type)

  const privateIds = async (): Promise<CID[]> => [
    (await shareFile(join(secret, 'doc.txt'), 'doc.txt')).fileId,
    (await shareFile(join(secret, 'private.txt'), 'private.txt')).fileId
  ]

  /** Nothing of the private folder is indexed, announced or served. */
  async function assertNothingPrivate (): Promise<void> {
    for (const id of await privateIds()) {
      for (const type of [ChunkRequest.Type.CHUNK, ChunkRequest.Type.MANIFEST]) {
        const a = await ask(id, type)
        assert.equal(a.status, ChunkResponse.Status.NOT_FOUND, `${ChunkRequest.Type[type]} of a private file answered: ${a.body.toString().slice(0, 40)}`)
      }
      assert.equal(index.getByFileId(id), undefined)
    }
    assert.deepEqual(index.files().map(f => f.name).sort(), ['a.txt', 'inner/doc.txt'])
  }

  it('follows a folder symlink that stays inside the share, and serves it', async () => {
    await index.start()
    const viaLink = index.getByName('link/doc.txt')
    assert.ok(viaLink != null)
    assert.ok(viaLink.fileId.equals(index.getByName('inner/doc.txt')?.fileId))
    const a = await ask(viaLink.fileId)
    assert.equal(a.status, ChunkResponse.Status.OK)
    assert.ok(a.body.equals(INSIDE.subarray(0, a.body.length)))
  })

  it('swapped between the scan and the hash: the hasher sees another file, the entry is dropped', async () => {
    swapBeforeHashing('link/doc.txt')
    await index.start()
    await assertNothingPrivate()
  })

  it('swapped between the scan checking the link and reading the folder: the private listing is never read', async () => {
    // a.txt is handed on before the folders of the first level are read
    swapBeforeHashing('a.txt')
    await index.start()
    await assertNothingPrivate()
  })

  it('a real folder replaced by a symlink leading out, after the scan listed its parent: nothing private is read', async () => {
    const hashes = (index as any).hashes as HashQueue
    const submit = hashes.submit.bind(hashes)
    let swapped = false
    hashes.submit = async (root, n, f) => {
      if (n === 'a.txt' && !swapped) {
        swapped = true
        await rename(join(share, 'inner'), join(share, 'inner.old'))
        await symlink(secret, join(share, 'inner'))
      }
      await submit(root, n, f)
    }
    await index.start()
    for (const id of await privateIds()) {
      const a = await ask(id)
      assert.equal(a.status, ChunkResponse.Status.NOT_FOUND, `a private file answered: ${a.body.toString().slice(0, 40)}`)
      assert.equal(index.getByFileId(id), undefined)
    }
    assert.ok(!index.files().some(f => f.name.startsWith('inner/')), index.files().map(f => f.name).join())
  })

  it('swapped after indexing: the chunk server refuses the other file and the entry is dropped', async () => {
    await index.start()
    const id = index.getByName('link/doc.txt')?.fileId
    assert.ok(id != null)
    await swapLink()
    // with the real copy gone, link/doc.txt is the only name left for the id
    await rm(join(share, 'inner', 'doc.txt'))
    const answers: ChunkResponse.Status[] = []
    for (let i = 0; i < 4; i++) {
      const a = await ask(id)
      answers.push(a.status)
      assert.ok(!a.body.includes(Buffer.from('PRIVATE')), 'no private byte is ever sent')
      assert.notEqual(a.status, ChunkResponse.Status.OK)
      if (a.status === ChunkResponse.Status.NOT_FOUND) break
      await index.settled()
    }
    assert.equal(answers.at(-1), ChunkResponse.Status.NOT_FOUND, answers.map(s => ChunkResponse.Status[s]).join(','))
    await index.settled()
    assert.equal(index.getByName('link/doc.txt'), undefined)
    assert.equal(index.getByName('inner/doc.txt'), undefined)
    assert.deepEqual(index.files().map(f => f.name), ['a.txt'])
  })
})

describe('hardening: share folder symlink swapped under a running node', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', '/ip4/127.0.0.1/tcp/0'])
  })
  afterEach(async () => { await sb.cleanup() })

  /** What the network lists, asked of the running node through its control socket. */
  const listing = async (): Promise<Array<{ name: string, fileId: string }>> => await sb.ask(sb.path('n'), 'ls')

  it('another node never gets the private file, and the entry under the link is withdrawn', async () => {
    await mkdir(sb.path('share', 'inner'), { recursive: true })
    await writeFile(sb.path('share', 'inner', 'doc.txt'), INSIDE)
    await symlink(sb.path('share', 'inner'), sb.path('share', 'link'))
    await mkdir(sb.path('private'))
    await writeFile(sb.path('private', 'doc.txt'), PRIVATE)
    const privateId = (await shareFile(sb.path('private', 'doc.txt'), 'doc.txt')).fileId.toString()
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', '/ip4/127.0.0.1/tcp/0', '--coordinator', coord.addr])
    await waitFor(async () => (await listing()).map(f => f.name).sort().join() === 'inner/doc.txt,link/doc.txt', 'both names listed', 30_000)

    await symlink(sb.path('private'), sb.path('share', 'link.swap'))
    await rename(sb.path('share', 'link.swap'), sb.path('share', 'link'))
    // by name: whatever arrives is the file inside the share, or nothing
    const r = await sb.run(['get', 'link/doc.txt', '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out'), '--json'], { timeoutMs: 60_000 })
    if (r.code === 0) assert.ok((await readFile(JSON.parse(r.stdout).path)).equals(INSIDE))
    else assert.match(r.stderr, /^fsnode: /)
    await waitFor(async () => (await listing()).map(f => f.name).join() === 'inner/doc.txt', 'link/doc.txt withdrawn', 30_000)
    assert.ok(!(await listing()).some(f => f.fileId === privateId), 'the private file is never announced')
    // by the private file's id: nobody has it
    const p = await sb.run(['get', privateId, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out-private')], { timeoutMs: 60_000 })
    assert.equal(p.code, 1)
    assert.match(p.stderr, /^fsnode: .*no provider/)
  })
})
