import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer, NodeAlreadyRunningError } from '../../src/control/server.js'
import { ControlClient } from '../../src/control/client.js'
import { MAX_CONTROL_LINE } from '../../src/control/protocol.js'
import { controlSocketPath } from '../../src/control/paths.js'

/** Send raw bytes on the socket and collect every reply line until the server closes. */
async function raw (path: string, data: string | Buffer): Promise<any[]> {
  return await new Promise((resolve, reject) => {
    const s = createConnection(path)
    let out = ''
    s.setEncoding('utf8')
    s.on('data', d => { out += d })
    s.on('error', reject)
    s.on('close', () => resolve(out.split('\n').filter(l => l !== '').map(l => JSON.parse(l))))
    s.write(data)
  })
}

describe('control channel', () => {
  let dir: string
  let server: ControlServer
  let cancelled = false

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fsnode-control-'))
    cancelled = false
    server = new ControlServer(dir, {
      echo: async params => params,
      // a listing of 20,000 network files: over 2 MiB of JSON, twice a request's limit
      many: async (params: any) => Array.from({ length: params.n }, (_, i) => ({ name: `folder/file-${i}.bin`, fileId: 'b'.repeat(59), size: i })),
      fail: async () => { const e = new Error('it broke'); e.name = 'BrokenError'; throw e },
      slow: async (_p, ctx) => {
        for (let i = 0; i < 3; i++) ctx.progress({ step: i })
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, 10_000)
          ctx.signal.addEventListener('abort', () => { clearTimeout(t); cancelled = true; reject(ctx.signal.reason) })
        })
      }
    })
    await server.start()
  })

  afterEach(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers requests, carries progress and named errors', async () => {
    const client = ControlClient.forDataDir(dir)
    assert.equal(await client.available(), true)
    assert.deepEqual(await client.callUnchecked('echo', { a: 1 }), { a: 1 })
    await assert.rejects(client.callUnchecked('fail'), (err: any) => err.name === 'BrokenError' && err.message === 'it broke')
    await assert.rejects(client.callUnchecked('nope'), /unknown control method: nope/)
  })

  it('only the owner can reach it: socket 0600 in a 0700 folder', async () => {
    const path = controlSocketPath(dir)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.equal((await stat(join(path, '..'))).mode & 0o777, 0o700)
  })

  it('closing the connection cancels the request in the node', async () => {
    const client = ControlClient.forDataDir(dir)
    const controller = new AbortController()
    const steps: unknown[] = []
    const p = client.callUnchecked('slow', {}, { signal: controller.signal, onProgress: e => { steps.push(e); if (steps.length === 3) controller.abort(new Error('stop')) } })
    await assert.rejects(p, (err: Error) => err.message === 'stop')
    for (let i = 0; i < 50 && !cancelled; i++) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(cancelled, true)
    assert.equal(steps.length, 3)
  })

  it('malformed and oversized requests get one error and the server keeps serving', async () => {
    const path = controlSocketPath(dir)
    assert.match((await raw(path, 'not json\n'))[0].error.message, /malformed control request/)
    assert.match((await raw(path, '[1,2]\n'))[0].error.message, /malformed control request/)
    assert.match((await raw(path, '{"method":"echo","params":[1]}\n'))[0].error.message, /params must be an object/)
    assert.match((await raw(path, '{"method":"__proto__"}\n'))[0].error.message, /unknown control method/)
    assert.match((await raw(path, Buffer.alloc(MAX_CONTROL_LINE + 10, 'a')))[0].error.message, /over/)
    assert.deepEqual(await ControlClient.forDataDir(dir).callUnchecked('echo', { ok: true }), { ok: true })
  })

  it('a reply over the request limit (a big listing) reaches the client whole', async () => {
    const files = await ControlClient.forDataDir(dir).callUnchecked('many', { n: 20_000 })
    assert.ok(JSON.stringify(files).length > 2 * MAX_CONTROL_LINE)
    assert.equal(files.length, 20_000)
    assert.deepEqual(files[19_999], { name: 'folder/file-19999.bin', fileId: 'b'.repeat(59), size: 19_999 })
  })

  it('a second node on the same data dir is refused; a stale socket is replaced', async () => {
    const second = new ControlServer(dir, {})
    await assert.rejects(second.start(), (err: any) => err instanceof NodeAlreadyRunningError)
    await server.stop()
    // stop() removed the socket; simulate a killed node leaving a stale file
    const { writeFile } = await import('node:fs/promises')
    await writeFile(controlSocketPath(dir), '')
    server = new ControlServer(dir, { echo: async p => p })
    await server.start()
    assert.deepEqual(await ControlClient.forDataDir(dir).callUnchecked('echo', { x: 2 }), { x: 2 })
  })
})
