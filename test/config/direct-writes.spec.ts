import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNodeConfig } from '../../src/config/load.js'

/** node.directWrites (FSNODE_DIRECT_WRITES): on by default, off from the file or the
 * environment, and a value that is not a boolean is one line naming where it came from. */
describe('config: node.directWrites', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'fsnode-config-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const load = async (node: Record<string, unknown> | undefined, env: Record<string, string> = {}): Promise<boolean> => {
    const config = join(dir, 'config.json')
    await writeFile(config, JSON.stringify(node == null ? {} : { node }))
    return loadNodeConfig({ config }, env, dir).directWrites
  }

  it('is on unless turned off; the environment wins over the file', async () => {
    assert.equal(await load(undefined), true)
    assert.equal(await load({ directWrites: false }), false)
    assert.equal(await load({ directWrites: true }, { FSNODE_DIRECT_WRITES: 'off' }), false)
    assert.equal(await load({ directWrites: false }, { FSNODE_DIRECT_WRITES: '1' }), true)
  })

  it('refuses what is not a boolean, in one line naming the key or the variable', async () => {
    await assert.rejects(load({ directWrites: 'no' }), (err: Error) => {
      assert.equal(err.name, 'ConfigError')
      assert.match(err.message, /config\.json: .*directWrites/)
      assert.equal(err.message.split('\n').length, 1)
      return true
    })
    await assert.rejects(load(undefined, { FSNODE_DIRECT_WRITES: 'maybe' }), /^ConfigError: FSNODE_DIRECT_WRITES: expected true or false, got "maybe"$/)
  })
})
