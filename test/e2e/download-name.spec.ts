import assert from 'node:assert/strict'
import { Sandbox } from './harness.js'
import { sha256File, writeRandom } from './files.js'
import { waitFor } from '../../kit/wait.js'
import { ControlClient } from '../../src/control/client.js'
import { RemoteNode } from '../../src/node/remote.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

describe('e2e: a running get by file id shows the file\'s name', function () {
  this.timeout(180_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('the downloads list and status name the file, not its id, while it runs; done, it has the same name', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeRandom(sb.path('share-p', 'holiday', 'beach.bin'), 4 * MiB)
    await sb.mkdir('share-d')
    await Promise.all(['p', 'd'].map(async n => await sb.daemon(['start', '--data-dir', sb.path(n), '--share', sb.path(`share-${n}`), '--listen', LOCAL, '--coordinator', coord.addr])))
    const node = new RemoteNode(ControlClient.forDataDir(sb.path('d')))
    const listed = await waitFor(async () => (await node.ls()).find(f => f.name === 'holiday/beach.bin'), 'the file listed', 60_000)
    // slow enough to be seen running: 4 MiB at 128 KiB/s
    await node.limit({ download: 128 * 1024 })

    const started = await node.download(listed.fileId, { out: sb.path('out') })
    assert.equal(started.target, listed.fileId)
    // the name comes once the file id is resolved (here by the coordinator), before any chunk
    const running = await waitFor(async () => {
      const d = (await node.downloads()).find(x => x.id === started.id)
      if (d != null && d.state !== 'running') throw new Error(`download ${d.state} before it was seen running: ${JSON.stringify(d)}`)
      return d != null && d.name !== listed.fileId ? d : undefined
    }, 'the download named', 120_000)
    assert.equal(running.state, 'running')
    assert.equal(running.name, 'holiday/beach.bin')
    assert.equal(running.fileId, listed.fileId)
    const status = await waitFor(async () => { const s = await node.status(); return s.downloads.length > 0 ? s : undefined }, 'status with the download', 30_000)
    assert.deepEqual(status.downloads.map(d => d.name), ['holiday/beach.bin'])
    assert.equal(status.downloads[0].bytesTotal, 4 * MiB, JSON.stringify(status.downloads))
    assert.equal((await node.downloads()).find(x => x.id === started.id)?.state, 'running', 'still running when status was read')

    await node.limit({ download: 0 })
    const done = await waitFor(async () => {
      const d = (await node.downloads()).find(x => x.id === started.id)
      return d?.state === 'done' ? d : undefined
    }, 'the download done', 120_000)
    assert.equal(done.name, 'holiday/beach.bin')
    assert.equal(await sha256File(done.result?.path as string), await sha256File(sb.path('share-p', 'holiday', 'beach.bin')))
  })
})
