import assert from 'node:assert/strict'
import { createServer, request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { serveUi, uiFile, uiPaths, PUBLIC_DIR } from '../../src/ui/assets.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A raw request: the path goes out byte for byte (fetch would normalise `..` away). */
async function raw (port: number, path: string, method = 'GET'): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 10_000 }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', d => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

describe('ui: the static files of the web UI', () => {
  let server: Server
  let port: number

  before(async () => {
    // what the node's API server does: the UI first, everything else is someone else's 404
    server = createServer((req, res) => {
      serveUi(req, res).then(handled => {
        if (!handled) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found\n') }
      }, () => { res.writeHead(500); res.end() })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  after(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })

  it('serves the page at /ui/ with a strict Content-Security-Policy and no inline script', async () => {
    const r = await raw(port, '/ui/')
    assert.equal(r.status, 200)
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8')
    const csp = String(r.headers['content-security-policy'])
    assert.match(csp, /(^|; )script-src 'self'(;|$)/)
    assert.match(csp, /(^|; )default-src 'none'(;|$)/)
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/)
    assert.equal(r.headers['x-content-type-options'], 'nosniff')
    assert.match(r.body, /<script type="module" src="\/ui\/app\.js"><\/script>/)
    // every script tag loads a file: nothing inline that the CSP would have to allow
    for (const tag of r.body.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\ssrc="/, tag)
    assert.doesNotMatch(r.body, /\son[a-z]+=/i, 'no inline event handlers')
    const bare = await raw(port, '/ui')
    assert.equal(bare.status, 308)
    assert.equal(bare.headers.location, '/ui/')
  })

  it('serves each file of its fixed list with its content type, preact and htm included', async () => {
    const types: Record<string, RegExp> = { '.js': /^text\/javascript; charset=utf-8$/, '.css': /^text\/css; charset=utf-8$/, '/': /^text\/html; charset=utf-8$/ }
    const paths = uiPaths()
    for (const p of ['/ui/', '/ui/app.js', '/ui/style.css', '/ui/vendor/preact.js', '/ui/vendor/hooks.js', '/ui/vendor/htm.js']) assert.ok(paths.includes(p), p)
    for (const p of paths) {
      const r = await raw(port, p)
      assert.equal(r.status, 200, p)
      const ext = Object.keys(types).find(e => p.endsWith(e)) ?? ''
      assert.match(String(r.headers['content-type']), types[ext], p)
      assert.ok(r.body.length > 0, p)
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/, p)
    }
    const preact = await raw(port, '/ui/vendor/preact.js')
    assert.match(preact.body, /export\s*\{/, 'an ES module')
    // hooks import preact by its bare name, which no browser resolves: served pointing at our copy
    const hooks = await raw(port, '/ui/vendor/hooks.js')
    assert.doesNotMatch(hooks.body, /from\s*["']preact["']/)
    assert.match(hooks.body, /from"\.\/preact\.js"/)
    const head = await raw(port, '/ui/app.js', 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body, '')
    assert.equal(Number(head.headers['content-length']), (await readFile(PUBLIC_DIR + 'app.js')).length)
  })

  it('every module the page imports is in the list (a missing one would break the page)', async () => {
    const paths = uiPaths()
    for (const p of paths.filter(x => x.endsWith('.js') && !x.includes('/vendor/'))) {
      const src = await readFile(uiFile(p) as string, 'utf8')
      for (const m of src.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]
        if (['preact', 'preact/hooks', 'htm'].includes(spec)) {
          assert.fail(`${p} imports the bare name ${spec}: use /ui/vendor/*.js (no import map under the CSP)`)
        }
        assert.ok(paths.includes(new URL(spec, `http://x${p}`).pathname), `${p} imports ${spec}, which is not served`)
      }
      assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write/, `${p} renders remote text as HTML`)
    }
  })

  it('serves nothing outside the list: traversal, encoded dots, other files of the folder', async () => {
    const attempts = [
      '/ui/../package.json', '/ui/..%2fpackage.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/vendor/../../package.json',
      '/ui/vendor/preact.mjs.map', '/ui/vendor/../app.js/..', '/ui//etc/passwd', '/ui/app.js%00', '/ui/APP.JS',
      '/ui/index.html', '/ui/public/app.js', '/ui/node_modules/preact/package.json', '/ui/login?code=x', '/etc/passwd'
    ]
    for (const p of attempts) {
      const r = await raw(port, p)
      assert.equal(r.status, 404, `${p}: ${r.status}`)
      assert.equal(r.body, 'not found\n', p)
    }
    // a query string does not change which file is served
    assert.equal((await raw(port, '/ui/app.js?../../package.json')).body, await readFile(PUBLIC_DIR + 'app.js', 'utf8'))
  })

  it('answers 405 to a method other than GET or HEAD', async () => {
    for (const m of ['POST', 'PUT', 'DELETE']) {
      const r = await raw(port, '/ui/app.js', m)
      assert.equal(r.status, 405, m)
      assert.equal(r.headers.allow, 'GET, HEAD')
    }
  })
})
