import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer } from '../../src/control/server.js'
import { ControlClient } from '../../src/control/client.js'
import { MAX_CONTROL_LINE } from '../../src/control/protocol.js'
import { controlHandlers } from '../../src/node/handlers.js'
import { HEAP_MARGIN, RejectionGuard, Rng, fuzzCases, fuzzSeed, hex, mutateBody, pool, settledHeap } from './fuzz.js'
import { sleep, until } from './net.js'
import type { NodeApi } from '../../src/node/api.js'

const CONCURRENCY = 16
const CASE_DEADLINE = 5_000
const METHODS = ['status', 'ls', 'search', 'get', 'share', 'unshare', 'nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']

/** A NodeApi that answers at once (get: a little progress, then a result) and honours cancel. */
function stubNode (): NodeApi {
  const fail = (what: string): never => { const e = new Error(`${what} is not possible here`); e.name = 'NotSharedError'; throw e }
  return {
    status: async () => ({ running: true, peerId: 'x', dataDir: '/x', addrs: [], coordinators: [], embeddedCoordinator: false, peers: 0, downloads: [] }),
    ls: async () => [],
    search: async () => [],
    get: async (target, options = {}) => {
      for (let i = 0; i < 3; i++) {
        options.signal?.throwIfAborted()
        options.onProgress?.({ bytesDone: i, bytesTotal: 3, peers: 1, rate: 0 })
        await sleep(1)
      }
      return { fileId: 'f', name: target, size: 3, path: '/x', seconds: 0, bytesPerSecond: 0, providers: [] }
    },
    share: async p => fail(`share ${p}`),
    unshare: async p => fail(`unshare ${p}`),
    close: async () => {}
  }
}

/** Send bytes, half-close, and collect every reply line until the server closes. */
async function exchange (path: string, bytes: Uint8Array): Promise<{ lines: string[], hung: boolean }> {
  return await new Promise(resolve => {
    const s = createConnection(path)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { s.destroy(); resolve({ lines: [], hung: true }) }, CASE_DEADLINE)
    s.on('data', d => chunks.push(d))
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      resolve({ lines: Buffer.concat(chunks).toString('utf8').split('\n').filter(l => l !== ''), hung: false })
    })
    s.end(bytes)
  })
}

function validLine (rng: Rng): string {
  const params: Record<string, unknown> = {}
  for (const key of ['target', 'text', 'path', 'out', '__proto__', 'constructor']) {
    if (rng.chance(0.4)) params[key] = rng.pick<unknown>([rng.text(20), 1, null, true, [], {}, { toString: 1 }, 'x'.repeat(rng.int(3000))])
  }
  const req: Record<string, unknown> = { method: rng.pick(METHODS) }
  if (rng.chance(0.9)) req.params = rng.chance(0.9) ? params : rng.pick([[], 1, 'x', null])
  return JSON.stringify(req)
}

function caseBytes (rng: Rng): Uint8Array {
  const line = (): Uint8Array => new TextEncoder().encode(validLine(rng) + '\n')
  switch (rng.int(8)) {
    case 0: return rng.bytes(rng.int(512))
    case 1: return mutateBody(rng, line(), 64 * 1024)
    case 2: return new Uint8Array([...line(), ...line(), ...mutateBody(rng, line(), 4096)])
    case 3: return new TextEncoder().encode(validLine(rng)) // no newline
    case 4: { // deep nesting and huge numbers
      const depth = rng.pick([10, 1000, 100_000])
      return new TextEncoder().encode(`{"method":"get","params":{"target":${'['.repeat(depth)}${']'.repeat(rng.chance(0.5) ? depth : 0)},"n":1e999}}\n`)
    }
    case 5: return rng.chance(0.1) ? new Uint8Array(MAX_CONTROL_LINE + 10).fill(0x61) : new TextEncoder().encode('\r\n\n \n\u0000\n')
    default: return line()
  }
}

describe('hardening: fuzzing the control socket', function () {
  const cases = fuzzCases()
  this.timeout(60_000 + cases * 20)
  const guard = new RejectionGuard()
  let dir: string
  let server: ControlServer

  before(async () => {
    guard.install()
    dir = await mkdtemp(join(tmpdir(), 'fsnode-fuzz-control-'))
    server = new ControlServer(dir, controlHandlers(stubNode()))
    await server.start()
  })
  after(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
    guard.uninstall()
  })

  it(`survives ${cases} random and mutated requests; every reply is one JSON line`, async () => {
    const seed = fuzzSeed()
    const client = ControlClient.forDataDir(dir)
    const heapBefore = await settledHeap()
    const problems: string[] = []
    const kinds: Record<string, number> = {}
    const started = Date.now()
    await pool(cases, CONCURRENCY, async i => {
      const rng = new Rng(seed + i * 15_485_863)
      const bytes = caseBytes(rng)
      const r = await exchange(server.path, bytes)
      if (r.hung) problems.push(`case ${i} hung (seed ${seed}): ${hex(bytes)}`)
      for (const line of r.lines) {
        let reply: any
        try { reply = JSON.parse(line) } catch { problems.push(`case ${i}: reply is not JSON: ${line.slice(0, 80)}`); continue }
        const keys = Object.keys(reply)
        if (keys.length !== 1 || !['progress', 'result', 'error'].includes(keys[0])) problems.push(`case ${i}: odd reply ${line.slice(0, 80)}`)
        const kind = keys[0] === 'error' ? `error:${String(reply.error?.name)}` : keys[0]
        kinds[kind] = (kinds[kind] ?? 0) + 1
      }
      if (i % 250 === 0) assert.deepEqual(await client.call('ls', {}), [], `honest call during the fuzz (case ${i})`)
    })
    console.log(`      control fuzz: ${cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}; replies ${JSON.stringify(kinds)}`)
    assert.deepEqual(problems.slice(0, 10), [])
    assert.ok((kinds.result ?? 0) > 0 && (kinds['error:ControlError'] ?? 0) > 0, 'the cases reached both the parser and the handlers')
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)
    assert.equal(({} as any).target, undefined, 'no prototype pollution')
    await until(() => (server as any).sockets.size === 0, 'the server to drop every fuzz connection')
    const grown = await settledHeap() - heapBefore
    assert.ok(grown < HEAP_MARGIN, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
    assert.equal((await client.call('get', { target: 'ok' })).name, 'ok')
  })
})
