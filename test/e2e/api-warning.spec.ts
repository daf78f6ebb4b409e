import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { Sandbox } from './harness.js'
import { waitFor } from '../../kit/wait.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const WARNING = /^warning: the HTTP API is served on 0\.0\.0\.0:0, reachable from other machines/m

describe('e2e: a node whose HTTP API listens beyond loopback says so', function () {
  this.timeout(120_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('node.api.listen 0.0.0.0:0 in the config: the warning line is printed before ready', async () => {
    const config = sb.path('config.json')
    await writeFile(config, JSON.stringify({ node: { dataDir: sb.path('n'), shareDir: await sb.mkdir('s'), downloadsDir: sb.path('d'), api: { listen: '0.0.0.0:0' }, embeddedCoordinator: false, coordinators: [] } }))
    const child = sb.spawn(['start', '--config', config, '--listen', LOCAL])
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', d => { stdout += d })
    await waitFor(() => stdout.includes('ready;') ? true : undefined, 'the node ready', 60_000)
    assert.match(stdout, WARNING)
    assert.ok(stdout.indexOf('warning: the HTTP API') < stdout.indexOf('ready;'))
  })

  it('--json: the warning goes to stderr, stdout stays the JSON; a loopback API has no warning', async () => {
    await sb.mkdir('s')
    const open = await sb.daemon(['start', '--data-dir', sb.path('a'), '--share', sb.path('s'), '--listen', LOCAL, '--api-listen', '0.0.0.0:0'])
    assert.match(open.info.apiUrl, /^http:\/\/0\.0\.0\.0:\d+$|^http:\/\/[^/]+:\d+$/)
    await waitFor(() => WARNING.test(open.stderr) ? true : undefined, 'the warning on stderr', 10_000)
    assert.doesNotMatch(open.stdout, /warning/)
    const local = await sb.daemon(['start', '--data-dir', sb.path('b'), '--share', sb.path('s'), '--listen', LOCAL, '--api-listen', '127.0.0.1:0'])
    assert.ok(local.info.apiUrl != null)
    assert.doesNotMatch(local.stderr + local.stdout, /reachable from other machines/)
  })
})
