import assert from 'node:assert/strict'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Sandbox, waitFor } from './harness.js'

const REPO = resolve(import.meta.dirname, '../../..')

describe('e2e: first run from a clone (npm start, then npx fsnode ls)', function () {
  this.timeout(60_000)
  let sb: Sandbox

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it("the repo's config.json runs a node sharing ./shared with an embedded coordinator that ls reaches", async () => {
    // the repo's own config.json and shared/ folder, with ports left to the OS so tests never collide
    const config = JSON.parse(await readFile(resolve(REPO, 'config.json'), 'utf8'))
    assert.equal(config.node.embeddedCoordinator, true)
    assert.equal(config.node.shareDir, 'shared')
    config.node.listen = ['/ip4/127.0.0.1/tcp/0']
    config.coordinator.listen = ['/ip4/127.0.0.1/tcp/0']
    await writeFile(sb.path('config.json'), JSON.stringify(config, null, 2))
    await cp(resolve(REPO, 'shared'), sb.path('shared'), { recursive: true })

    const node = await sb.daemon(['start'])
    assert.ok(node.info.coordinatorAddrs.length > 0, 'prints the embedded coordinator address for other machines')

    // a second terminal in the same folder: same config, same data dir, so it talks to the node
    const files = await waitFor(async () => {
      const l = await sb.json(['ls', '--flat'])
      return l.length > 0 ? l : undefined
    }, 'shared files listed', 20_000)
    assert.ok(files.some((f: any) => f.name === 'welcome.txt'))
    const status = await sb.json(['status'])
    assert.equal(status.running, true)
    assert.equal(status.embeddedCoordinator, true)
    assert.equal(status.peerId, node.peerId)

    // and the human-readable listing
    const ls = await sb.run(['ls'])
    assert.equal(ls.code, 0)
    assert.match(ls.stdout, /welcome\.txt/)
  })
})
