import assert from 'node:assert/strict'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, makeHost } from '../transfer/helpers.js'
import { sleep } from './net.js'

const PROTOCOL = '/fsnode-test/close-at-once/1.0.0'

// Found by the flood test: a provider that closed a stream while the downloader was still
// negotiating it left the downloader waiting for its whole manifest timeout.
describe('hardening: a stream the remote closed before anyone read it', function () {
  this.timeout(10_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('reads as ended at once, not after the caller\'s timeout', async () => {
    const server = await makeHost(cleanup)
    const client = await makeHost(cleanup)
    await server.handle(PROTOCOL, (stream) => { void stream.close().catch(() => {}) })
    const stream = await client.dialProtocol(server.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(5_000) })
    await sleep(200) // the remote's close arrives before the reader exists
    assert.equal(stream.remoteWriteStatus, 'closed')
    const reader = new StreamReader(stream)
    const t0 = Date.now()
    assert.equal(await reader.readLp(1024, AbortSignal.timeout(5_000)), null)
    assert.ok(Date.now() - t0 < 1_000, `took ${Date.now() - t0} ms`)
    reader.release()
  })
})
