import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { chunkServer } from '../../src/transfer/server.js'
import { fetchManifest } from '../../src/transfer/fetcher.js'
import { CHUNK_PROTOCOL } from '../../src/wire/constants.js'
import { Cleanup, MemorySource, makeHost, randomFile, shareFile, tempDir } from '../transfer/helpers.js'
import type { ChunkServer } from '../../src/transfer/server.js'

describe('node/services: fsnode protocols as libp2p services', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  it('libp2p starts the chunk server with the host and its stop unregisters the protocol', async () => {
    const dir = await tempDir(cleanup)
    const source = new MemorySource()
    const file = source.add(await shareFile(await randomFile(join(dir, 'a.bin'), 300_000), 'a.bin'))
    const provider = await makeHost<{ chunkServer: ChunkServer }>(cleanup, { chunkServer: chunkServer({ source }) })
    const client = await makeHost(cleanup)
    assert.equal(provider.services.chunkServer.isStarted(), true, 'started by createLibp2p')
    assert.ok(provider.getProtocols().includes(CHUNK_PROTOCOL))

    const who = { peerId: provider.peerId, addrs: provider.getMultiaddrs() }
    const manifest = await fetchManifest(client, who, file.fileId, { timeout: 10_000 })
    assert.ok(manifest.fileId.equals(file.fileId))

    await provider.stop()
    assert.equal(provider.services.chunkServer.isStarted(), false)
    assert.ok(!provider.getProtocols().includes(CHUNK_PROTOCOL), 'handler unregistered on stop')
  })

  it('a host with the chunk server, provide upkeep and announcer leaves nothing running once stopped', async () => {
    const script = fileURLToPath(new URL('./services-child.js', import.meta.url))
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] })
    cleanup.add(async () => { if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL') })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const started = JSON.parse((await lines.next()).value ?? 'null')
    assert.ok(started.protocols.includes(CHUNK_PROTOCOL))
    assert.deepEqual(started.started, [true, true, true])
    // let the announcer fail and schedule a retry, and the upkeep run its first diff
    await new Promise(resolve => setTimeout(resolve, 500))

    const exited = once(child, 'exit')
    child.stdin.end()
    const stopped = JSON.parse((await lines.next()).value ?? 'null')
    assert.equal(stopped.stopped, true)
    assert.ok(!stopped.protocols.includes(CHUNK_PROTOCOL), 'chunk handler unregistered')
    assert.deepEqual(stopped.started, [false, false, false])
    // no process.exit in the child: a timer or socket left behind would keep it alive
    const timeout = new Promise<'alive'>(resolve => setTimeout(() => resolve('alive'), 20_000).unref())
    const result = await Promise.race([exited.then(([code]) => code), timeout])
    assert.equal(result, 0, 'the child exits by itself once its host stopped')
  })
})
