import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer } from '../../src/control/server.js'
import { ControlClient } from '../../src/control/client.js'
import { controlHandlers } from '../../src/node/handlers.js'
import { Bandwidth } from '../../src/bandwidth/bandwidth.js'
import type { NodeApi } from '../../src/node/api.js'

/** The control socket's `limit` method over a real unix socket, against a real Bandwidth. */
describe('bandwidth: the limit control method', () => {
  let dir: string
  let server: ControlServer
  let client: ControlClient
  let bw: Bandwidth

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fsnode-limit-'))
    bw = new Bandwidth({ upload: 0, download: 0, limitLan: false })
    const node = { limit: async (c: any) => bw.set(c) } as unknown as NodeApi
    server = new ControlServer(dir, controlHandlers(node))
    await server.start()
    client = new ControlClient(server.path)
  })
  afterEach(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('changes the rates given and keeps the others', async () => {
    assert.deepEqual(await client.call('limit', { upload: 1024 }), { upload: 1024, download: 0, limitLan: false })
    assert.deepEqual(await client.call('limit', { download: 2048 }), { upload: 1024, download: 2048, limitLan: false })
    assert.deepEqual(await client.call('limit', {}), { upload: 1024, download: 2048, limitLan: false })
    assert.equal(bw.upload.rate, 1024)
    assert.equal(bw.download.rate, 2048)
  })

  it('sets the per-peer limits, and refuses a malformed perPeer with a clear error', async () => {
    assert.deepEqual(await client.call('limit', { perPeer: { upload: 4096 } }), { upload: 0, download: 0, limitLan: false, perPeer: { upload: 4096, download: 0 } })
    for (const [bad, re] of [[5, /perPeer must be an object/], [{ up: 1 }, /unknown param up/], [{ download: -3 }, /perPeer.download must be a whole number/]] as const) {
      await assert.rejects(client.callUnchecked('limit', { perPeer: bad }), { name: 'BadParamsError', message: re }, JSON.stringify(bad))
    }
    assert.deepEqual(bw.limits.perPeer, { upload: 4096, download: 0 })
  })

  it('refuses a rate that is not a whole non-negative number, and changes nothing', async () => {
    await client.call('limit', { upload: 1024 })
    for (const bad of [-1, 1.5, '4MiB', true, [], {}, 2 ** 60]) {
      await assert.rejects(client.callUnchecked('limit', { upload: bad }), { name: 'BadParamsError', message: /upload must be a whole number/ }, JSON.stringify(bad))
    }
    assert.equal(bw.upload.rate, 1024)
  })
})
