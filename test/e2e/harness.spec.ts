import assert from 'node:assert/strict'
import { Sandbox } from './harness.js'

describe('e2e harness: fsnode processes are isolated from the machine', function () {
  this.timeout(60_000)
  let sb: Sandbox
  const saved = { DEBUG: process.env.DEBUG, FSNODE_DATA_DIR: process.env.FSNODE_DATA_DIR, XDG_DATA_HOME: process.env.XDG_DATA_HOME }

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v == null) Reflect.deleteProperty(process.env, k)
      else process.env[k] = v
    }
    await sb.cleanup()
  })

  it("own HOME and XDG folders, none of the runner's FSNODE_* or DEBUG, mDNS off unless a test asks", async () => {
    // what a developer's shell might have set
    process.env.DEBUG = 'fsnode:*,libp2p:*'
    process.env.FSNODE_DATA_DIR = '/nonexistent/fsnode-data'
    process.env.XDG_DATA_HOME = '/nonexistent/xdg-data'
    const r = await sb.run(['id', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '', 'no DEBUG output')
    const info = JSON.parse(r.stdout)
    // the default data dir (XDG_DATA_HOME/fsnode) is inside the sandbox, and new
    assert.ok(info.dataDir.startsWith(`${sb.home}/`), info.dataDir)
    assert.equal(info.created, true)

    const env = sb.env()
    assert.equal(env.HOME, sb.home)
    for (const k of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME']) assert.ok(env[k]?.startsWith(`${sb.home}/`), `${k}=${env[k]}`)
    assert.equal(env.FSNODE_MDNS, '0')
    assert.equal(env.DEBUG, undefined)
    assert.deepEqual(Object.keys(env).filter(k => k.startsWith('FSNODE_')), ['FSNODE_MDNS'])
    // a test that is about mDNS, or wants logs, says so
    assert.equal(sb.env({ FSNODE_MDNS: '1', DEBUG: 'fsnode:*' }).FSNODE_MDNS, '1')
    assert.equal(sb.env({ FSNODE_MDNS: '1', DEBUG: 'fsnode:*' }).DEBUG, 'fsnode:*')
  })
})
