import assert from 'node:assert/strict'
import { Sandbox } from './harness.js'
import { sha256File, writeRandom } from './files.js'
import type { Daemon } from './harness.js'
import { waitFor } from '../../kit/wait.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

/** The value of one sample line of the exposition text, 0 when absent. */
function sample (text: string, name: string, labels = ''): number {
  const line = text.split('\n').find(l => l.startsWith(`${name}${labels === '' ? '' : `{${labels}}`} `))
  return line == null ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

async function scrape (d: Daemon): Promise<string> {
  const res = await fetch(`${d.info.apiUrl as string}/metrics`, { signal: AbortSignal.timeout(10_000) })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return await res.text()
}

describe('e2e: Prometheus metrics', function () {
  this.timeout(180_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  async function start (name: string): Promise<Daemon> {
    await sb.mkdir(`share-${name}`)
    return await sb.daemon(['start', '--data-dir', sb.path(name), '--share', sb.path(`share-${name}`), '--listen', LOCAL, '--coordinator', coord.addr, '--api-listen', '127.0.0.1:0'])
  }

  it('GET /metrics shows a real get: bytes by protocol, chunks verified, downloads, shared files, peers', async () => {
    await writeRandom(sb.path('share-p', 'big.bin'), 3 * MiB + 5)
    const p = await start('p')
    const dl = await start('dl')
    assert.match(p.info.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/)

    const before = await scrape(dl)
    assert.equal(sample(before, 'fsnode_bytes_received_total', 'protocol="chunk"'), 0)
    assert.equal(sample(before, 'fsnode_chunks_verified_total'), 0)
    assert.equal(sample(await scrape(p), 'fsnode_shared_files'), 1)
    assert.equal(sample(await scrape(p), 'fsnode_shared_bytes'), 3 * MiB + 5)

    const r = await sb.json(['get', 'big.bin', '--data-dir', sb.path('dl'), '--out', sb.path('out')], { timeoutMs: 120_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share-p', 'big.bin')))

    const after = await scrape(dl)
    // every chunk byte at least once (an endgame duplicate is received and verified too)
    assert.ok(sample(after, 'fsnode_bytes_received_total', 'protocol="chunk"') >= r.size, after)
    assert.ok(sample(after, 'fsnode_chunks_verified_total') >= r.chunks, after)
    assert.equal(sample(after, 'fsnode_download_duration_seconds_count', 'result="ok"'), 1)
    assert.equal(sample(after, 'fsnode_downloads_active'), 0)
    assert.ok(sample(after, 'fsnode_peers_connected') >= 1, 'connected to the provider')
    const served = await scrape(p)
    assert.ok(sample(served, 'fsnode_bytes_sent_total', 'protocol="chunk"') >= r.size, served)
    assert.ok(sample(served, 'fsnode_process_resident_memory_bytes') > 0, 'process metrics too')

    const missing = await fetch(`${dl.info.apiUrl as string}/nope`)
    assert.equal(missing.status, 404)
    const post = await fetch(`${dl.info.apiUrl as string}/metrics`, { method: 'POST' })
    assert.equal(post.status, 405)
  })

  it('GET /metrics has libp2p\'s own metrics next to fsnode\'s: connections, streams per protocol, bytes', async () => {
    const n = await start('n')
    // connected to the coordinator (bootstrap) and announced to it over the index protocol
    const text = await waitFor(async () => {
      const t = await scrape(n)
      return sample(t, 'libp2p_connection_manager_connections', 'libp2p_connection_manager_connections="outbound"') >= 1 && t.includes('/fileshare/index/1.0.0') ? t : undefined
    }, 'libp2p metrics with the coordinator connection', 30_000)
    assert.match(text, /^# TYPE libp2p_protocol_streams_total gauge$/m)
    assert.match(text, /^libp2p_protocol_streams_total\{protocol="[^"]+"\} \d+/m)
    assert.match(text, /^# TYPE libp2p_data_transfer_bytes_total counter$/m)
    assert.ok(sample(text, 'fsnode_peers_connected') >= 1, 'fsnode\'s own metrics in the same scrape')
    assert.equal(text.match(/^# TYPE fsnode_process_resident_memory_bytes /gm)?.length, 1, 'process metrics once (fsnode\'s)')
  })

  it('a bad --api-listen or node.api.listen is a one-line error, exit 2; false turns it off', async () => {
    const r = await sb.run(['start', '--data-dir', sb.path('x'), '--share', await sb.mkdir('s'), '--api-listen', 'localhost'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^fsnode: --api-listen: not HOST:PORT: "localhost"/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    const env = await sb.run(['start', '--data-dir', sb.path('x'), '--share', sb.path('s')], { env: { FSNODE_API_LISTEN: '1.2.3.4:99999' } })
    assert.equal(env.code, 2, env.stderr)
    assert.match(env.stderr, /^fsnode: FSNODE_API_LISTEN: not HOST:PORT/)
    const off = await sb.daemon(['start', '--data-dir', sb.path('off'), '--share', sb.path('s'), '--listen', LOCAL, '--api-listen', 'false'])
    assert.equal(off.info.apiUrl, undefined)
  })
})
