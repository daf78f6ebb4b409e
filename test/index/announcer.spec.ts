import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { announcer as createAnnouncer } from '../../src/index/announcer.js'
import type { Announcer } from '../../src/index/announcer.js'
import { IndexClient } from '../../src/index/client.js'
import { Scene, file, waitFor } from './helpers.js'
import type { AnnounceFile } from '../../src/index/client.js'
import type { Host } from '../../src/host/create-host.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Connection } from '@libp2p/interface'

/** A node's shared files, as the share index would hand them to the announcer. */
class FakeShare {
  readonly files = new Map<string, AnnounceFile>()
  constructor (private readonly node: Host) {}
  source = {
    files: () => this.files.values(),
    addrs: () => this.node.getMultiaddrs()
  }
}

describe('index/announcer', function () {
  this.timeout(20_000)
  let scene: Scene

  beforeEach(() => { scene = new Scene() })
  afterEach(async () => { await scene.cleanup() })

  async function names (viewer: Host, addr: Multiaddr): Promise<string[]> {
    const index = IndexClient.forNode(viewer, addr, { timeout: 3000 })
    try {
      return (await index.list()).entries.map(e => e.name)
    } finally {
      await index.close()
    }
  }

  function announcer (node: Host, share: FakeShare, coordinators: Multiaddr[]): Announcer {
    // a running node's own methods in the components' place, so the test says when it starts
    const components = { events: node, connectionManager: { openConnection: node.dial.bind(node) }, addressManager: { getAddresses: () => node.getMultiaddrs() }, logger: node.logger }
    const a = createAnnouncer({
      coordinators, files: share.source.files, debounce: 20, keepalive: 300, backoff: { initial: 100, max: 400 }, timeout: 3000
    })(components)
    scene.defer(async () => { await a.stop() })
    return a
  }

  it('sends a snapshot, then deltas; skips files the coordinator would refuse', async () => {
    const coord = await scene.coordinator({ dataDir: await scene.tmpDir() })
    const node = await scene.host()
    const viewer = await scene.host()
    const share = new FakeShare(node)
    for (const n of ['a.txt', 'b.txt', 'bad\u0001name']) share.files.set(n, await file(n))
    const a = announcer(node, share, [coord.addr])
    a.start()
    a.afterStart()
    await waitFor(async () => (await names(viewer, coord.addr)).join() === 'a.txt,b.txt' ? true : undefined, 'snapshot')
    const [state] = a.state
    assert.equal(state.connected, true)
    assert.equal(state.skipped, 1)
    assert.ok(state.lastAnnounceAt != null && state.lastAnnounceAt <= Date.now())
    assert.equal(state.addr, coord.addr.toString())

    const c = await file('sub/c.txt')
    share.files.set(c.name, c)
    share.files.delete('a.txt')
    a.added([c])
    a.removed(['a.txt'])
    await waitFor(async () => (await names(viewer, coord.addr)).join() === 'b.txt,sub/c.txt' ? true : undefined, 'delta')

    // the latest change of a name wins within one debounce window
    a.removed(['b.txt'])
    a.added([await file('b.txt', 99)])
    await waitFor(async () => {
      const index = IndexClient.forNode(viewer, coord.addr)
      const [found] = await index.lookup({ name: 'b.txt' })
      await index.close()
      return found?.size === 99 ? true : undefined
    }, 'b.txt updated')

    // keepalives keep the stream (idle timeout) and the entries alive
    await new Promise(resolve => setTimeout(resolve, 700))
    assert.equal(a.state[0].connected, true)
    assert.equal(a.state[0].lastError, undefined)
  })

  it('sends a snapshot of many files whole, in pages, as it reads them from the source', async () => {
    const coord = await scene.coordinator({ dataDir: await scene.tmpDir() })
    const node = await scene.host()
    const viewer = await scene.host()
    // ~80 bytes an entry: 30,000 of them take three frames of MAX_INDEX_FRAME
    const count = 30_000
    const base = (await file('x')).fileId.bytes
    let pulled = 0
    const source = {
      // made one at a time as the announcer reads them, as the node's share index hands them on
      * files (): Generator<AnnounceFile> {
        for (let i = 0; i < count; i++) {
          pulled++
          const fileId = base.slice()
          new DataView(fileId.buffer).setUint32(fileId.byteLength - 4, i)
          yield { name: `folder ${i % 7}/file-${String(i).padStart(6, '0')}.txt`, fileId, size: i, mtime: 1_700_000_000_000 }
        }
      },
      addrs: () => node.getMultiaddrs()
    }
    // how much of the source was read when the first frame went out
    let pulledAtFirstSend: number | undefined
    const openConnection = async (addr: Multiaddr, options?: AbortOptions): Promise<Connection> => {
      const conn = await node.dial(addr, options)
      const newStream = conn.newStream.bind(conn)
      return Object.assign(Object.create(conn), {
        newStream: async (...args: Parameters<Connection['newStream']>) => {
          const stream = await newStream(...args)
          const send = stream.send.bind(stream)
          stream.send = data => { pulledAtFirstSend ??= pulled; return send(data) }
          return stream
        }
      })
    }
    const components = { events: node, connectionManager: { openConnection }, addressManager: { getAddresses: () => node.getMultiaddrs() }, logger: node.logger }
    const a = createAnnouncer({ coordinators: [coord.addr], files: source.files, debounce: 20, keepalive: 5000, timeout: 10_000 })(components)
    scene.defer(async () => { await a.stop() })
    a.start()
    a.afterStart()
    await waitFor(async () => a.state[0].lastAnnounceAt, 'snapshot accepted', 15_000)
    assert.equal(pulled, count, 'read once')
    assert.ok(pulledAtFirstSend != null && pulledAtFirstSend < count / 2, `${pulledAtFirstSend} of ${count} files read before the first frame went out`)
    assert.equal(a.state[0].skipped, 0)
    const index = IndexClient.forNode(viewer, coord.addr, { timeout: 10_000 })
    try {
      const seen = new Set<string>()
      for await (const page of index.listAll({ limit: 2_000 })) for (const e of page.entries) seen.add(`${e.name} ${e.size}`)
      assert.equal(seen.size, count)
      assert.ok(seen.has('folder 0/file-000000.txt 0') && seen.has(`folder ${(count - 1) % 7}/file-0${count - 1}.txt ${count - 1}`))
      // each name has its own file id: the pages were not one file sent again and again
      const [last] = await index.lookup({ name: `folder ${(count - 1) % 7}/file-0${count - 1}.txt` })
      assert.equal(last?.size, count - 1)
    } finally {
      await index.close()
    }
  })

  it('sends a snapshot in frames under MAX_INDEX_FRAME, the first one replacing what was there', async () => {
    const coord = await scene.coordinator({ dataDir: await scene.tmpDir() })
    const node = await scene.host()
    const index = IndexClient.forNode(node, coord.addr, { timeout: 10_000 })
    try {
      const base = (await file('y')).fileId.bytes
      const many = function * (n: number, tag: string): Generator<AnnounceFile> {
        for (let i = 0; i < n; i++) {
          const fileId = base.slice()
          new DataView(fileId.buffer).setUint32(fileId.byteLength - 4, i)
          yield { name: `${tag}/${'long name '.repeat(4)}${i}`, fileId, size: i, mtime: 1 }
        }
      }
      assert.deepEqual(await index.announce({ replace: true, files: many(100, 'old') }), { accepted: 100, batches: 1 })
      const { accepted, batches } = await index.announce({ replace: true, files: many(20_000, 'new') })
      assert.equal(accepted, 20_000)
      assert.ok(batches >= 2, `${batches} frames`)
      let total = 0
      for await (const page of index.listAll({ limit: 2_000 })) {
        total += page.entries.length
        assert.ok(page.entries.every(e => e.name.startsWith('new/')), 'the old snapshot is gone')
      }
      assert.equal(total, 20_000)
    } finally {
      await index.close()
    }
  })

  it('re-announces by itself after the coordinator restarts without its index', async () => {
    const key = await generateKeyPair('Ed25519')
    const dataDir = await scene.tmpDir()
    const first = await scene.coordinator({ dataDir }, '/ip4/127.0.0.1/tcp/0', key)
    const port = first.addr.toString().split('/')[4]
    const addr = first.addr
    const node = await scene.host()
    const viewer = await scene.host()
    const share = new FakeShare(node)
    share.files.set('one.txt', await file('one.txt'))
    const a = announcer(node, share, [addr])
    a.start()
    a.afterStart()
    await waitFor(async () => (await names(viewer, first.addr)).length === 1 ? true : undefined, 'first announce')

    await first.service.stop()
    await first.node.stop()
    await waitFor(() => a.state[0].connected ? undefined : true, 'announcer sees the coordinator go')
    for (const f of ['index.db', 'index.db-wal', 'index.db-shm']) await rm(join(dataDir, f), { force: true })

    const second = await scene.coordinator({ dataDir }, `/ip4/127.0.0.1/tcp/${port}`, key)
    await waitFor(async () => {
      const index = IndexClient.forNode(viewer, second.addr, { timeout: 3000 })
      const page = await index.list()
      await index.close()
      const online = page.providers.get(node.peerId.toString())?.online
      return page.entries.length === 1 && online === true ? true : undefined
    }, 're-announced file', 10_000)
    assert.equal(a.state[0].connected, true)
  })

  it('reports an unreachable coordinator and connects once it is up', async () => {
    const key = await generateKeyPair('Ed25519')
    const probe = await scene.coordinator({ dataDir: await scene.tmpDir() }, '/ip4/127.0.0.1/tcp/0', key)
    const port = probe.addr.toString().split('/')[4]
    const addr = probe.addr
    await probe.service.stop()
    await probe.node.stop()

    const node = await scene.host()
    const share = new FakeShare(node)
    share.files.set('x.txt', await file('x.txt'))
    const a = announcer(node, share, [addr])
    a.start()
    a.afterStart()
    await waitFor(() => a.state[0].lastError != null ? true : undefined, 'an error to report')
    assert.equal(a.state[0].connected, false)

    await scene.coordinator({ dataDir: await scene.tmpDir() }, `/ip4/127.0.0.1/tcp/${port}`, key)
    await waitFor(() => a.state[0].connected ? true : undefined, 'connected', 10_000)
    assert.equal(a.state[0].lastError, undefined)
  })
})
