import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCoordinatorConfig, loadNodeConfig } from '../../src/config/load.js'
import { parseNetworkKey } from '../../src/host/network-key.js'
import { generateNetworkKey } from '../../src/host/pnet.js'

describe('hardening: network key settings', () => {
  let dir: string
  const key = generateNetworkKey()
  const keyBytes = parseNetworkKey(key)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fsnode-netkey-'))
    await mkdir(join(dir, 'etc'))
    await writeFile(join(dir, 'etc', 'swarm.key'), key)
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('generates keys in the swarm key format, and reads them back in the form pnet expects', () => {
    assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    assert.notEqual(generateNetworkKey(), key)
    // CRLF, a BOM and upper-case hex are the same key
    const messy = `\uFEFF${key.trim().replace(/\n/g, '\r\n').toUpperCase().replace('/KEY/SWARM/PSK/1.0.0/', '/key/swarm/psk/1.0.0/').replace('/BASE16/', '/base16/')}\r\n`
    assert.deepEqual(parseNetworkKey(messy), keyBytes)
    assert.equal(new TextDecoder().decode(keyBytes), key.trim())
  })

  it('a path is relative to the config file; the text itself works too; the environment wins', async () => {
    const config = join(dir, 'etc', 'config.json')
    await writeFile(config, JSON.stringify({ node: { networkKey: 'swarm.key' }, coordinator: { networkKey: key } }))
    const cwd = join(dir, 'elsewhere')
    assert.deepEqual(loadNodeConfig({ config }, {}, cwd).networkKey, keyBytes)
    assert.deepEqual(loadCoordinatorConfig({ config }, {}, cwd).networkKey, keyBytes)
    assert.equal(loadNodeConfig({}, {}, cwd).networkKey, undefined, 'no key: the open network')

    const other = generateNetworkKey()
    await writeFile(join(dir, 'other.key'), other)
    const env = { FSNODE_NETWORK_KEY: 'other.key' }
    assert.deepEqual(loadNodeConfig({ config }, env, dir).networkKey, parseNetworkKey(other))
    assert.deepEqual(loadCoordinatorConfig({ config }, env, dir).networkKey, parseNetworkKey(other))
  })

  it('refuses keys that are not keys, naming the setting and the file', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /not a network key/],
      ['/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(31), /64 hex digits/],
      ['/key/swarm/psk/1.0.0/\n/base64/\n' + 'ab'.repeat(32), /not a network key/],
      ['/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(32) + '\nextra', /not a network key/]
    ]
    for (const [text, expect] of cases) {
      await writeFile(join(dir, 'bad.key'), text)
      const config = join(dir, 'config.json')
      await writeFile(config, JSON.stringify({ node: { networkKey: 'bad.key' } }))
      assert.throws(() => loadNodeConfig({ config }, {}, dir), (err: any) => {
        assert.equal(err.name, 'ConfigError')
        assert.equal(err.exitCode, 2)
        assert.match(err.message, /node\.networkKey \(.*bad\.key\)/)
        assert.match(err.message, expect)
        return true
      })
    }
    await writeFile(join(dir, 'huge.key'), Buffer.alloc(1 << 20))
    assert.throws(() => loadNodeConfig({}, { FSNODE_NETWORK_KEY: 'huge.key' }, dir), /FSNODE_NETWORK_KEY: cannot read the network key .*not a key file/)
  })
})
