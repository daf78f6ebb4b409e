import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { Daemon, Sandbox } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
/** What the systemd unit runs (bootstrap/fsnode-coordinator.service), as built. */
const ENTRY = resolve(import.meta.dirname, '../../bootstrap/coordinator.js')

describe('e2e: the coordinator deployment entry (bootstrap/coordinator.ts)', function () {
  this.timeout(120_000)
  let sb: Sandbox
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('starts a coordinator from the CLI bundle that answers queries, and ends with 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [ENTRY, '--data-dir', sb.path('coord'), '--listen', LOCAL, '--json'], {
      cwd: sb.dir, env: sb.env(), stdio: ['ignore', 'pipe', 'pipe']
    })
    sb.procs.add(child)
    const coord = new Daemon(child)
    await coord.ready(60_000, [ENTRY])
    assert.match(coord.peerId, /^12D3KooW/)
    const ls = await sb.json(['ls', '--flat', '--data-dir', sb.path('asker'), '--coordinator', coord.addr])
    assert.deepEqual(ls, [], 'an empty index, asked through the coordinator protocol')
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const [code] = await exited
    assert.equal(code, 0, coord.stderr)
  })
})
