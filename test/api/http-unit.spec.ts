import assert from 'node:assert/strict'
import { createHttpApi } from '../../src/api/http-api.js'
import { ApiAuth } from '../../src/api/auth.js'
import { NodeEvents } from '../../src/node/events.js'
import { checkedHandlers } from '../../src/control/methods.js'
import { raw } from './helpers.js'
import type { ApiServer } from '../../src/api/server.js'
import type { Implementations } from '../../src/control/methods.js'

describe('api: HTTP layer on the method map (no node)', () => {
  let server: ApiServer
  let base: string
  let aborted: unknown
  const token = 't'.repeat(43)
  const auth = { authorization: `Bearer ${token}` }

  beforeEach(async () => {
    aborted = undefined
    const never = async (_p: unknown, ctx: { signal: AbortSignal }): Promise<never> => await new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { aborted = ctx.signal.reason; reject(ctx.signal.reason) })
    })
    const impl = new Proxy({}, { get: () => never }) as unknown as Implementations
    const api = createHttpApi({ listen: { host: '127.0.0.1', port: 0 }, handlers: checkedHandlers(impl), events: new NodeEvents(), auth: new ApiAuth(token), callTimeoutMs: 300 })
    server = api.server
    await server.start()
    base = server.url as string
  })
  afterEach(async () => { await server.stop() })

  it('a call that does not answer in time gets 504 and its signal is aborted', async () => {
    const r = await raw(base, 'GET', '/api/v1/status', auth)
    assert.equal(r.status, 504)
    assert.equal(r.json.error.code, 'ApiTimeoutError')
    assert.equal((aborted as Error).name, 'ApiTimeoutError')
  })

  it('bad params are refused before the handler runs (400, one line)', async () => {
    const r = await raw(base, 'GET', '/api/v1/search', auth)
    assert.equal(r.status, 400)
    assert.deepEqual(r.json.error, { code: 'BadParamsError', message: 'search: text must be a non-empty string' })
    assert.equal(aborted, undefined)
  })

  it('the bare address and /ui send a browser to /ui/; other verbs there are refused', async () => {
    for (const path of ['/', '/ui']) {
      const r = await raw(base, 'GET', path)
      assert.equal(r.status, 308, path)
      assert.equal(r.headers.location, '/ui/', path)
    }
    assert.equal((await raw(base, 'POST', '/ui')).status, 405)
    assert.equal((await raw(base, 'GET', '/uix')).status, 404)
  })

  it('/ui/ is left to what is mounted: a JSON 404 until then', async () => {
    const r = await raw(base, 'GET', '/ui/')
    assert.equal(r.status, 404)
    assert.equal(r.json.error.code, 'NotFoundError')
  })
})
