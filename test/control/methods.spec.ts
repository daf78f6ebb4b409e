import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkParams, methods } from '../../src/control/methods.js'
import { BadParamsError } from '../../src/control/errors.js'
import { ControlServer } from '../../src/control/server.js'
import { ControlClient } from '../../src/control/client.js'
import { RemoteError } from '../../src/control/protocol.js'
import { controlHandlers } from '../../src/node/handlers.js'
import { ConfigError } from '../../src/config/errors.js'
import type { NodeApi } from '../../src/node/api.js'

describe('control: the method map', () => {
  const bad: Array<[keyof typeof methods, unknown, RegExp]> = [
    ['search', {}, /^search: text must be a non-empty string$/],
    ['search', { text: '' }, /^search: text must be a non-empty string$/],
    ['search', { text: 3 }, /^search: text must be a non-empty string$/],
    ['ls', { path: 'a', extra: 1 }, /^ls: unknown param extra$/],
    ['get', { target: 'x', out: null }, /^get: out must be a non-empty string$/],
    ['cancel', {}, /^cancel: id must be a non-empty string$/],
    ['limit', { upload: -1 }, /^limit: upload must be a whole number of bytes per second \(0 = none\)$/],
    ['limit', { download: 1.5 }, /^limit: download must be a whole number/],
    ['limit', { upload: '4MiB' }, /^limit: upload must be a whole number/],
    ['status', [], /^status: params must be an object$/],
    ['status', 'x', /^status: params must be an object$/],
    ['share', { path: ['/a'] }, /^share: path must be a non-empty string$/]
  ]
  for (const [name, params, message] of bad) {
    it(`refuses ${name} ${JSON.stringify(params)} with a one-line BadParamsError`, () => {
      assert.throws(() => checkParams(name, params), (err: any) => err instanceof BadParamsError && err.name === 'BadParamsError' && message.test(err.message) && !err.message.includes('\n'))
    })
  }

  it('accepts good params and leaves out what was not given', () => {
    assert.deepEqual(checkParams('ls', {}), {})
    assert.deepEqual(checkParams('get', { target: 'a/', out: '/tmp/x' }), { target: 'a/', out: '/tmp/x' })
    assert.deepEqual(checkParams('limit', { upload: 0, download: 1024 }), { upload: 0, download: 1024 })
  })

  it('every HTTP route is unique and under a known verb', () => {
    const seen = new Set<string>()
    for (const [name, def] of Object.entries(methods)) {
      if (def.http == null) continue
      const key = `${def.http.verb} ${def.http.path}`
      assert.ok(!seen.has(key), `${name}: ${key} twice`)
      seen.add(key)
      assert.ok(['GET', 'POST', 'PUT', 'DELETE'].includes(def.http.verb))
    }
  })

  describe('over the control socket', () => {
    let dir: string
    let server: ControlServer
    let called = 0
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fsnode-methods-'))
      called = 0
      const node = {
        search: async () => { called++; return [] },
        status: async () => { throw new ConfigError('share folder /nope does not exist') }
      } as unknown as NodeApi
      server = new ControlServer(dir, controlHandlers(node))
      await server.start()
    })
    afterEach(async () => {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    })

    it('bad params reach no handler: BadParamsError, one line', async () => {
      const client = ControlClient.forDataDir(dir)
      await assert.rejects(client.callUnchecked('search', { text: 7 }), (err: any) => err instanceof RemoteError && err.name === 'BadParamsError' && err.code === 'BadParamsError' && err.message === 'search: text must be a non-empty string')
      assert.equal(called, 0)
      assert.deepEqual(await client.call('search', { text: 'ok' }), [])
      assert.equal(called, 1)
    })

    it("a daemon's error keeps its name, message and exit code (a ConfigError exits 2 as in-process)", async () => {
      const client = ControlClient.forDataDir(dir)
      await assert.rejects(client.call('status'), (err: any) => err.name === 'ConfigError' && err.exitCode === 2 && err.message === 'share folder /nope does not exist')
      // a method this node does not carry out
      await assert.rejects(client.call('downloads'), (err: any) => err.name === 'UnsupportedMethodError' && err.exitCode === undefined)
    })
  })
})
