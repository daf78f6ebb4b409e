import assert from 'node:assert/strict'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { writeText } from '../e2e/files.js'
import { raw } from './helpers.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

/** The value of one sample line, 0 when absent. */
function sample (text: string, name: string, labels = ''): number {
  const line = text.split('\n').find(l => l.startsWith(`${name}${labels === '' ? '' : `{${labels}}`} `))
  return line == null ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('api: a standalone coordinator serves /metrics on coordinator.api.listen', function () {
  this.timeout(120_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('index entries, providers, peers, queries and their latency as fsnode_* metrics', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL, '--api-listen', '127.0.0.1:0'])
    const url = coord.info.apiUrl as string
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    await writeText(sb.path('share', 'a.txt'), 'a')
    await writeText(sb.path('share', 'b.txt'), 'b')
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr, '--api-listen', 'false'])
    await waitFor(async () => sample(await (await fetch(`${url}/metrics`)).text(), 'fsnode_index_entries') === 2, 'two entries indexed', 60_000)
    const ls = await sb.json(['ls', '--flat', '--data-dir', sb.path('other'), '--coordinator', coord.addr])
    assert.equal(ls.length, 2)
    const text = await (await fetch(`${url}/metrics`)).text()
    assert.equal(sample(text, 'fsnode_index_providers'), 1)
    assert.equal(sample(text, 'fsnode_index_providers_online'), 1)
    assert.ok(sample(text, 'fsnode_peers_connected') >= 1, text)
    assert.ok(sample(text, 'fsnode_index_queries_total', 'type="ANNOUNCE",result="ok"') >= 1, text)
    assert.ok(sample(text, 'fsnode_index_queries_total', 'type="LIST",result="ok"') >= 1, text)
    assert.ok(sample(text, 'fsnode_index_query_duration_seconds_count', 'type="LIST"') >= 1, text)
    assert.ok(sample(text, 'fsnode_process_resident_memory_bytes') > 0)
    assert.equal((await raw(url, 'GET', '/metrics', { host: 'evil.example' })).status, 403)
  })

  it('is off unless configured; a bad address is a one-line config error', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('c1'), '--listen', LOCAL])
    assert.equal(coord.info.apiUrl, undefined)
    const r = await sb.run(['coordinator', '--data-dir', sb.path('c2'), '--listen', LOCAL, '--api-listen', 'nope'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^fsnode: --api-listen: not HOST:PORT: "nope"/)
  })
})
