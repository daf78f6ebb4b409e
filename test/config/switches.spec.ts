import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNodeConfig } from '../../src/config/load.js'
import type { NodeConfig } from '../../src/config/load.js'

/** Switches that are on unless turned off: from the file or the environment (which wins), and
 * a value that is not a boolean is one line naming where it came from. */
const SWITCHES = [
  // O_DIRECT writes of big downloads (src/transfer/direct-io.ts)
  ['directWrites', 'FSNODE_DIRECT_WRITES'],
  // fewer providers while this machine's CPU limits a download (src/transfer/focus.ts)
  ['focusProviders', 'FSNODE_FOCUS_PROVIDERS']
] as const

for (const [key, variable] of SWITCHES) {
  describe(`config: node.${key}`, () => {
    let dir: string
    beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'fsnode-config-')) })
    afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

    const load = async (value: unknown, env: Record<string, string> = {}): Promise<NodeConfig[typeof key]> => {
      const config = join(dir, 'config.json')
      await writeFile(config, JSON.stringify(value === undefined ? {} : { node: { [key]: value } }))
      return loadNodeConfig({ config }, env, dir)[key]
    }

    it('is on unless turned off; the environment wins over the file', async () => {
      assert.equal(await load(undefined), true)
      assert.equal(await load(false), false)
      assert.equal(await load(true, { [variable]: 'off' }), false)
      assert.equal(await load(false, { [variable]: '1' }), true)
    })

    it('refuses what is not a boolean, in one line naming the key or the variable', async () => {
      await assert.rejects(load('no'), (err: Error) => {
        assert.equal(err.name, 'ConfigError')
        assert.match(err.message, new RegExp(`config\\.json: .*${key}`))
        assert.equal(err.message.split('\n').length, 1)
        return true
      })
      await assert.rejects(load(undefined, { [variable]: 'maybe' }), new RegExp(`^ConfigError: ${variable}: expected true or false, got "maybe"$`))
    })
  })
}
