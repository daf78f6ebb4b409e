import assert from 'node:assert/strict'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { sha256File, writeRandom, writeText } from '../e2e/files.js'
import { openEvents, raw } from './helpers.js'
import type { Daemon } from '../e2e/harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

describe('api: the HTTP API v1 on a real daemon', function () {
  this.timeout(240_000)
  let sb: Sandbox
  let coord: Daemon
  let dl: Daemon
  let base: string
  let token: string
  let auth: Record<string, string>

  before(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeRandom(sb.path('share-p', 'big.bin'), 8 * MiB + 7)
    await writeRandom(sb.path('share-p', 'slow.bin'), 8 * MiB)
    await writeText(sb.path('share-p', 'docs', 'readme.txt'), 'hello api\n')
    await sb.mkdir('share-dl')
    // the provider's upload limit makes a get last seconds: time for progress and a cancel
    // (every peer here is on loopback: without limitLan the limit would not apply)
    await writeFile(sb.path('p.json'), JSON.stringify({ node: { limits: { limitLan: true } } }))
    const [, downloader] = await Promise.all([
      sb.daemon(['start', '--config', sb.path('p.json'), '--data-dir', sb.path('p'), '--share', sb.path('share-p'), '--listen', LOCAL, '--coordinator', coord.addr, '--api-listen', 'false', '--max-upload', '2MiB']),
      sb.daemon(['start', '--data-dir', sb.path('dl'), '--share', sb.path('share-dl'), '--listen', LOCAL, '--coordinator', coord.addr, '--api-listen', '127.0.0.1:0'])
    ])
    dl = downloader
    const status = await sb.json(['status', '--data-dir', sb.path('dl')])
    assert.equal(status.api.url, dl.info.apiUrl)
    assert.equal(status.api.tokenFile, sb.path('dl', 'api-token'))
    assert.equal((await stat(status.api.tokenFile)).mode & 0o777, 0o600)
    base = status.api.url
    token = (await readFile(status.api.tokenFile, 'utf8')).trim()
    auth = { authorization: `Bearer ${token}` }
    await waitFor(async () => (await api('GET', '/files')).json?.length === 3, 'the provider\'s files listed', 60_000)
  })
  after(async () => { await sb?.cleanup() })

  async function api (method: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number, json: any }> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000)
    })
    return { status: res.status, json: await res.json() }
  }

  it('answers every read endpoint with the token', async () => {
    const s = await api('GET', '/status')
    assert.equal(s.status, 200)
    assert.equal(s.json.peerId, dl.peerId)
    assert.deepEqual(s.json.api, { url: base, tokenFile: sb.path('dl', 'api-token') })
    const files = await api('GET', '/files')
    assert.deepEqual(files.json.map((f: any) => f.name).sort(), ['big.bin', 'docs/readme.txt', 'slow.bin'])
    const under = await api('GET', '/files?path=docs')
    assert.deepEqual(under.json.map((f: any) => f.name), ['docs/readme.txt'])
    const found = await api('GET', '/search?q=readme')
    assert.deepEqual(found.json.map((f: any) => f.name), ['docs/readme.txt'])
    assert.deepEqual((await api('GET', '/downloads')).json, [])
    const shares = await api('GET', '/shares')
    assert.deepEqual(shares.json, [{ path: sb.path('share-dl'), kind: 'folder' }])
    const peers = await api('GET', '/peers')
    assert.equal(peers.status, 200)
    assert.ok(peers.json.some((p: any) => p.peerId === coord.peerId && p.relayed === false && typeof p.addr === 'string'), JSON.stringify(peers.json))
    assert.deepEqual((await api('GET', '/limits')).json, { upload: 0, download: 0, limitLan: false })
  })

  it('a get with progress over SSE: events arrive, it ends done, the file is right', async () => {
    const sse = await openEvents(`${base}/api/v1/events`, auth)
    try {
      const start = await api('POST', '/downloads', { target: 'big.bin', out: sb.path('out') })
      assert.equal(start.status, 202)
      assert.equal(start.json.state, 'running')
      const id = start.json.id
      const done = await sse.next(e => e.event === 'download' && e.data.id === id && e.data.state !== 'running', 120_000)
      assert.equal(done.data.state, 'done', JSON.stringify(done.data))
      const progress = sse.events.filter(e => e.event === 'download' && e.data.id === id && e.data.state === 'running' && e.data.bytesDone > 0)
      assert.ok(progress.length >= 2, `progress events: ${JSON.stringify(sse.events.filter(e => e.event === 'download'))}`)
      assert.ok(progress.some(e => e.data.rate > 0 && e.data.peers >= 1 && e.data.bytesTotal === 8 * MiB + 7), JSON.stringify(progress.at(-1)?.data))
      assert.equal(done.data.bytesDone, 8 * MiB + 7)
      assert.equal(await sha256File(done.data.result.path), await sha256File(sb.path('share-p', 'big.bin')))
      const list = await api('GET', '/downloads')
      assert.equal(list.json[0].id, id)
      assert.equal(list.json[0].state, 'done')
    } finally {
      await sse.close()
    }
  })

  it('cancel stops a running get, keeps its partial, and the same POST resumes it', async () => {
    const start = await api('POST', '/downloads', { target: 'slow.bin', out: sb.path('out2') })
    const id = start.json.id
    await waitFor(async () => (await api('GET', '/downloads')).json.find((d: any) => d.id === id)?.bytesDone > MiB, 'a first MiB', 60_000, 100)
    const cancelled = await api('DELETE', `/downloads/${id}`)
    assert.equal(cancelled.status, 200)
    assert.equal(cancelled.json.state, 'cancelled')
    const again = await api('DELETE', `/downloads/${id}`)
    assert.equal(again.status, 409)
    assert.equal(again.json.error.code, 'DownloadNotRunningError')
    assert.equal((await api('GET', '/downloads')).json.find((d: any) => d.id === id).state, 'cancelled')
    const resumed = await api('POST', '/downloads', { target: 'slow.bin', out: sb.path('out2') })
    assert.notEqual(resumed.json.id, id)
    const done = await waitFor(async () => {
      const d = (await api('GET', '/downloads')).json.find((x: any) => x.id === resumed.json.id)
      return d?.state === 'running' ? undefined : d
    }, 'the resumed get', 120_000, 250)
    assert.equal(done.state, 'done', JSON.stringify(done))
    assert.ok(done.result.resumedChunks > 0, JSON.stringify(done.result))
    assert.equal(await sha256File(done.result.path), await sha256File(sb.path('share-p', 'slow.bin')))
  })

  it('share and unshare a folder; the shares list and a shares event follow', async () => {
    await writeText(sb.path('extra', 'one.txt'), 'one')
    await writeText(sb.path('extra', 'two.txt'), 'two')
    const sse = await openEvents(`${base}/api/v1/events`, auth)
    try {
      const shared = await api('POST', '/shares', { path: sb.path('extra') })
      assert.equal(shared.status, 200)
      assert.deepEqual(shared.json, { path: sb.path('extra'), files: 2 })
      const ev = await sse.next(e => e.event === 'shares' && e.data.roots.includes(sb.path('extra')))
      assert.ok(ev.data.files >= 2)
      const list = (await api('GET', '/shares')).json
      assert.deepEqual(list[0], { path: sb.path('share-dl'), kind: 'folder' })
      assert.ok(list.some((s: any) => s.path === sb.path('extra') && s.kind === 'folder' && s.name === 'extra'), JSON.stringify(list))
      const un = await raw(base, 'DELETE', `/api/v1/shares?path=${encodeURIComponent(sb.path('extra'))}`, auth)
      assert.equal(un.status, 200)
      assert.deepEqual(un.json, { path: sb.path('extra'), files: 2 })
      assert.ok(!(await api('GET', '/shares')).json.some((s: any) => s.path === sb.path('extra')))
      const missing = await raw(base, 'DELETE', `/api/v1/shares?path=${encodeURIComponent(sb.path('extra'))}`, auth)
      assert.equal(missing.status, 404)
      assert.equal(missing.json.error.code, 'NotSharedError')
    } finally {
      await sse.close()
    }
  })

  it('limits: PUT then GET, with a limits event', async () => {
    const sse = await openEvents(`${base}/api/v1/events`, auth)
    try {
      const put = await api('PUT', '/limits', { upload: 4 * MiB })
      assert.deepEqual(put.json, { upload: 4 * MiB, download: 0, limitLan: false })
      assert.deepEqual((await api('GET', '/limits')).json, { upload: 4 * MiB, download: 0, limitLan: false })
      const ev = await sse.next(e => e.event === 'limits')
      assert.equal(ev.data.upload, 4 * MiB)
      const bad = await api('PUT', '/limits', { upload: -1 })
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.json.error, { code: 'BadParamsError', message: 'limit: upload must be a whole number of bytes per second (0 = none)' })
      assert.deepEqual((await api('PUT', '/limits', { upload: 0 })).json.upload, 0)
    } finally {
      await sse.close()
    }
  })

  it('a peer connecting shows as a peers event', async () => {
    const sse = await openEvents(`${base}/api/v1/events`, auth)
    try {
      // a node that bootstraps from this one connects to it
      await sb.mkdir('share-x')
      await sb.daemon(['start', '--data-dir', sb.path('x'), '--share', sb.path('share-x'), '--listen', LOCAL, '--coordinator', dl.addr, '--api-listen', 'false'])
      const x: string = (await sb.json(['status', '--data-dir', sb.path('x')])).peerId
      // (the set, not the count: another peer may leave in the same moment)
      const ev = await sse.next(e => e.event === 'peers' && e.data.joined >= 1)
      assert.ok(ev.data.peers >= 1 && ev.data.left >= 0, JSON.stringify(ev.data))
      await waitFor(async () => (await api('GET', '/peers')).json.some((p: any) => p.peerId === x), 'the new node among the peers')
    } finally {
      await sse.close()
    }
  })

  it('refuses: no token, wrong token 401; foreign Host 403; unknown path 404; wrong verb 405', async () => {
    const none = await raw(base, 'GET', '/api/v1/status')
    assert.equal(none.status, 401)
    assert.equal(none.json.error.code, 'UnauthorizedError')
    const wrong = await raw(base, 'GET', '/api/v1/status', { authorization: `Bearer ${token.slice(0, -1)}x` })
    assert.equal(wrong.status, 401)
    const host = await raw(base, 'GET', '/api/v1/status', { ...auth, host: `evil.example:${new URL(base).port}` })
    assert.equal(host.status, 403)
    assert.equal(host.json.error.code, 'ForbiddenError')
    const hostMetrics = await raw(base, 'GET', '/metrics', { host: 'evil.example' })
    assert.equal(hostMetrics.status, 403)
    assert.equal((await raw(base, 'GET', '/metrics', { host: `localhost:${new URL(base).port}` })).status, 200)
    assert.equal((await raw(base, 'GET', '/api/v1/nope', auth)).status, 404)
    const verb = await raw(base, 'PATCH', '/api/v1/limits', auth)
    assert.equal(verb.status, 405)
    assert.equal(verb.headers.allow, 'GET, PUT')
    assert.equal((await raw(base, 'GET', '/api/v1/events', {})).status, 401)
  })

  it('refuses bad bodies and params: 413 oversized, 400 malformed JSON or params, 404 unknown download', async () => {
    const big = await raw(base, 'POST', '/api/v1/shares', { ...auth, 'content-type': 'application/json' }, JSON.stringify({ path: 'x'.repeat(70 * 1024) }))
    assert.equal(big.status, 413)
    assert.equal(big.json.error.code, 'BodyTooLargeError')
    const malformed = await raw(base, 'POST', '/api/v1/downloads', { ...auth, 'content-type': 'application/json' }, '{"target": "big.bin"')
    assert.equal(malformed.status, 400)
    assert.equal(malformed.json.error.code, 'MalformedJsonError')
    const notObject = await raw(base, 'POST', '/api/v1/downloads', auth, '[1]')
    assert.equal(notObject.status, 400)
    assert.equal(notObject.json.error.code, 'BadParamsError')
    const noTarget = await api('POST', '/downloads', { out: '/tmp' })
    assert.deepEqual(noTarget.json.error, { code: 'BadParamsError', message: 'download: target must be a non-empty string' })
    const unknown = await api('DELETE', '/downloads/0123456789abcdef')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.error.code, 'UnknownDownloadError')
  })

  it('browser login: a one-time code gives an HttpOnly SameSite=Strict cookie; cross-origin changes are refused', async () => {
    const ui = await sb.run(['ui', '--print', '--data-dir', sb.path('dl')])
    assert.equal(ui.code, 0, ui.stderr)
    const url = new URL(ui.stdout.trim())
    assert.equal(url.origin, base)
    assert.equal(url.pathname, '/ui/login')
    const login = await raw(base, 'GET', url.pathname + url.search)
    assert.equal(login.status, 303)
    assert.equal(login.headers.location, '/ui/')
    const setCookie = String(login.headers['set-cookie'])
    assert.match(setCookie, /^fsnode_session=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\//)
    const cookie = { cookie: setCookie.split(';')[0] }
    const reused = await raw(base, 'GET', url.pathname + url.search)
    assert.equal(reused.status, 401)
    assert.equal(reused.json.error.code, 'UnauthorizedError')

    assert.equal((await raw(base, 'GET', '/api/v1/limits', cookie)).status, 200)
    const origin = base
    const body = JSON.stringify({ download: 0 })
    const cross = await raw(base, 'PUT', '/api/v1/limits', { ...cookie, origin: 'http://evil.example' }, body)
    assert.equal(cross.status, 403)
    assert.equal(cross.json.error.code, 'ForbiddenError')
    const noOrigin = await raw(base, 'PUT', '/api/v1/limits', cookie, body)
    assert.equal(noOrigin.status, 403)
    const same = await raw(base, 'PUT', '/api/v1/limits', { ...cookie, origin }, body)
    assert.equal(same.status, 200, same.body)
    // the token alone is enough for curl, whatever the Origin
    assert.equal((await raw(base, 'PUT', '/api/v1/limits', { ...auth, origin: 'http://evil.example' }, body)).status, 200)
    assert.equal((await raw(base, 'GET', '/api/v1/status', { cookie: 'fsnode_session=forged' })).status, 401)
  })

  it('a token file readable by others is replaced by a new 0600 token at start; the old one stops working', async () => {
    const dir = await sb.mkdir('loose')
    const leaked = 'A'.repeat(43)
    await writeFile(sb.path('loose', 'api-token'), leaked + '\n')
    await chmod(sb.path('loose', 'api-token'), 0o644)
    const d = await sb.daemon(['start', '--data-dir', dir, '--share', await sb.mkdir('share-loose'), '--listen', LOCAL, '--api-listen', '127.0.0.1:0'])
    const st = await stat(sb.path('loose', 'api-token'))
    assert.equal(st.mode & 0o777, 0o600)
    const fresh = (await readFile(sb.path('loose', 'api-token'), 'utf8')).trim()
    assert.notEqual(fresh, leaked)
    assert.equal((await raw(d.info.apiUrl, 'GET', '/api/v1/status', { authorization: `Bearer ${leaked}` })).status, 401)
    assert.equal((await raw(d.info.apiUrl, 'GET', '/api/v1/status', { authorization: `Bearer ${fresh}` })).status, 200)
  })

  it('a failing get exits with the same code and message whether a daemon or a short-lived node ran it', async () => {
    const viaDaemon = await sb.run(['get', 'no-such-file.txt', '--data-dir', sb.path('dl'), '--coordinator', coord.addr])
    const standalone = await sb.run(['get', 'no-such-file.txt', '--data-dir', sb.path('alone'), '--coordinator', coord.addr])
    assert.equal(viaDaemon.code, 1)
    assert.equal(standalone.code, viaDaemon.code)
    assert.equal(viaDaemon.stderr, 'fsnode: no file named "no-such-file.txt" on the network (fsnode ls lists them)\n')
    assert.equal(standalone.stderr, viaDaemon.stderr)
  })
})
