import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { Sandbox } from './harness.js'
import { writeText } from './files.js'
import type { Server } from 'node:net'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

/** A port someone else holds: a plain TCP server on a random port. */
async function takenPort (): Promise<{ port: number, server: Server }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('no port')
  return { port: address.port, server }
}

function oneLine (stderr: string): string {
  assert.equal(stderr.trim().split('\n').length, 1, `one line on stderr: ${stderr}`)
  return stderr.trim()
}

describe('e2e: errors people meet', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let held: Server | undefined

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => {
    held?.close()
    held = undefined
    await sb.cleanup()
  })

  describe('a second node from the same checkout', () => {
    async function quickStartConfig (nodePort: number | string, coordinatorPort: number | string): Promise<void> {
      await writeFile(sb.path('config.json'), JSON.stringify({
        coordinator: { listen: [`/ip4/127.0.0.1/tcp/${coordinatorPort}`], dataDir: '.fsnode/coordinator' },
        node: { listen: [`/ip4/127.0.0.1/tcp/${nodePort}`], coordinators: [], embeddedCoordinator: true, shareDir: 'shared', downloadsDir: 'downloads', dataDir: '.fsnode/node' }
      }))
      await writeText(sb.path('shared', 'welcome.txt'), 'hello\n')
    }

    it("with the node's port taken: says which address and what to do", async () => {
      const { port, server } = await takenPort()
      held = server
      await quickStartConfig(port, 0)
      const r = await sb.run(['start', '--data-dir', '.fsnode/node2'])
      assert.equal(r.code, 2)
      const line = oneLine(r.stderr)
      assert.match(line, new RegExp(`^fsnode: cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${port}: the port is already in use .*--listen`))
      assert.doesNotMatch(line, /Some configured addresses|faultTolerance/)
    })

    it("with the embedded coordinator's port taken: names that address", async () => {
      const { port, server } = await takenPort()
      held = server
      await quickStartConfig(0, port)
      const r = await sb.run(['start', '--data-dir', '.fsnode/node2'])
      assert.equal(r.code, 2)
      assert.match(oneLine(r.stderr), new RegExp(`cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${port}: the port is already in use`))
    })

    it('on the data dir of a running node: says so, and how to run a second one', async () => {
      await quickStartConfig(0, 0)
      await sb.daemon(['start'])
      const r = await sb.run(['start'])
      assert.equal(r.code, 1)
      assert.match(oneLine(r.stderr), /a node is already running on .*\.fsnode\/node .*own --data-dir and a free --listen port/)
    })
  })

  describe('a wrong /p2p/ id for a coordinator', () => {
    let coord: Daemon
    beforeEach(async () => {
      coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    })
    const at = (id: string): string => coord.addr.replace(/\/p2p\/.*$/, `/p2p/${id}`)

    it("another key's id is reported as a wrong peer id, not as another network key", async () => {
      const other = (await sb.json(['id', '--data-dir', sb.path('other')])).peerId
      const r = await sb.run(['ls', '--data-dir', sb.path('viewer'), '--coordinator', at(other)])
      assert.equal(r.code, 1)
      const line = oneLine(r.stderr)
      assert.match(line, new RegExp(`wrong peer id: the machine at /ip4/127\\.0\\.0\\.1/tcp/\\d+ is ${coord.peerId}, not ${other}`))
      assert.doesNotMatch(line, /network ?key|Payload identity key/i)
    })

    it('a hash-style id (Qm...) is checked too: the coordinator is refused', async () => {
      const qm = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
      const r = await sb.run(['ls', '--data-dir', sb.path('viewer'), '--coordinator', at(qm)])
      assert.equal(r.code, 1, `refused, not listed: ${r.stdout}`)
      assert.match(oneLine(r.stderr), new RegExp(`wrong peer id: .* is ${coord.peerId}, not ${qm}`))
    })

    it('a cut-short id is a configuration error before any dial', async () => {
      const r = await sb.run(['ls', '--data-dir', sb.path('viewer'), '--coordinator', at(coord.peerId.slice(0, -2))])
      assert.equal(r.code, 2)
      assert.match(oneLine(r.stderr), /the peer id after \/p2p\/ is not a valid peer id/)
    })

    it('the running node shows the wrong id in fsnode status', async () => {
      const other = (await sb.json(['id', '--data-dir', sb.path('other')])).peerId
      await sb.mkdir('share')
      await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', at(other)])
      let status: any
      for (let i = 0; i < 100; i++) {
        status = await sb.json(['status', '--data-dir', sb.path('n')])
        if (status.coordinators[0]?.lastError != null) break
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      assert.match(status.coordinators[0].lastError, new RegExp(`^wrong peer id: .* is ${coord.peerId}, not ${other}`))
    })
  })

  it('no error repeats itself: get NAME with no coordinator', async () => {
    const r = await sb.run(['get', 'welcome.txt', '--data-dir', sb.path('n')])
    assert.equal(r.code, 1)
    const line = oneLine(r.stderr)
    assert.match(line, /a name needs a coordinator to look it up and none is configured .* a file id does not/)
    assert.equal(line.match(/needs a coordinator/g)?.length, 1, line)
  })
})

describe('e2e: get FILE_ID found through the DHT alone', function () {
  this.timeout(180_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('saves the file under the name its provider shares it under, not under its id', async () => {
    await writeText(sb.path('share-a', 'papers', 'paper.txt'), 'a paper\n'.repeat(1000))
    const { expectedFileId, sha256File } = await import('./files.js')
    const fileId = await expectedFileId(sb.path('share-a', 'papers', 'paper.txt'))
    const a = await sb.daemon(['start', '--data-dir', sb.path('a'), '--share', sb.path('share-a'), '--listen', LOCAL])
    await sb.mkdir('share-b')
    const env = { FSNODE_PEERS: a.addr }
    const b = await sb.daemon(['start', '--data-dir', sb.path('b'), '--share', sb.path('share-b'), '--listen', LOCAL], { env })
    // a provides the id on the DHT once it has a peer (b)
    for (let i = 0; i < 300; i++) {
      const s = await sb.json(['status', '--data-dir', sb.path('a')])
      if (s.dht?.provided >= 1) break
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    const r = await sb.json(['get', fileId, '--data-dir', sb.path('b'), '--out', sb.path('out')], { timeoutMs: 90_000 })
    assert.equal(r.path, sb.path('out', 'paper.txt'))
    assert.equal(r.name, 'paper.txt')
    assert.deepEqual(r.providers, [a.peerId])
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-a', 'papers', 'paper.txt')))
    assert.ok(b.peerId !== a.peerId)
  })
})
