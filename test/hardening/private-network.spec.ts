import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/host/create-host.js'
import { parseNetworkKey } from '../../src/host/network-key.js'
import { networkProtector } from '../../src/host/pnet.js'
import { download } from '../../src/transfer/downloader.js'
import { CHUNK_PROTOCOL } from '../../src/wire/constants.js'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { sha256File, writeRandom, writeText } from '../e2e/files.js'
import type { Daemon, RunResult } from '../e2e/harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

/** One line on stderr, exit 1, nothing on stdout: how a refused command must look. */
function assertRefused (r: RunResult, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}, stdout ${r.stdout}, stderr ${r.stderr}`)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`)
  assert.match(lines[0], /^fsnode: .*no coordinator answered/, what)
  assert.equal(r.stdout, '')
}

describe('hardening: a private network keeps strangers out', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon
  let provider: Daemon
  let insiderConfig: string
  const inside = (...args: string[]): string[] => [...args, '--config', insiderConfig]

  before(async () => {
    sb = await Sandbox.create()
    const key = await sb.json(['network-key', '--out', sb.path('net', 'swarm.key')], { cwd: await sb.mkdir('net') })
    assert.equal((await stat(key.path)).mode & 0o777, 0o600)
    await sb.json(['network-key', '--out', sb.path('other.key')])
    // the insiders' config lives apart: commands run in sb.dir, where no config.json is found
    insiderConfig = sb.path('net', 'config.json')
    await writeFile(insiderConfig, JSON.stringify({ coordinator: { networkKey: 'swarm.key' }, node: { networkKey: 'swarm.key' } }))
    await writeFile(sb.path('other.json'), JSON.stringify({ node: { networkKey: 'other.key' } }))
    await writeRandom(sb.path('share', 'big.bin'), 24 * MiB) // past the ~4 MB where pnet once stalled (js-libp2p #3551)
    await writeText(sb.path('share', 'notes.txt'), 'private notes\n')
    coord = await sb.daemon(inside('coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL))
    provider = await sb.daemon(inside('start', '--data-dir', sb.path('provider'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr))
    await waitFor(async () => (await sb.ask<any[]>(sb.path('provider'), 'ls')).length === 2, 'both files listed', 30_000)
  })
  after(async () => { await sb?.cleanup() })

  it('an insider with the key lists, searches and downloads, byte-identical', async () => {
    const found = await sb.json(inside('search', 'notes', '--data-dir', sb.path('insider'), '--coordinator', coord.addr))
    assert.deepEqual(found.map((f: any) => f.name), ['notes.txt'])
    const r = await sb.json(inside('get', 'big.bin', '--data-dir', sb.path('insider'), '--coordinator', coord.addr, '--out', sb.path('in-out')), { timeoutMs: 60_000 })
    assert.equal(await sha256File(r.path), await sha256File(sb.path('share', 'big.bin')))
  })

  it('an outsider without the key, or with another key, cannot list, look up or download', async () => {
    const ids = await sb.json(inside('ls', '--flat', '--data-dir', sb.path('insider'), '--coordinator', coord.addr))
    const fileId = ids.find((f: any) => f.name === 'notes.txt').fileId
    const attempts: Array<[string, string[]]> = []
    // each refusal takes the coordinator's upgrade timeout (the two sides wait on each other's
    // gibberish), so they run at once
    for (const [who, extra] of [['no key', []], ['another key', ['--config', sb.path('other.json')]]] as const) {
      const base = ['--data-dir', sb.path(`outsider-${who}`), '--coordinator', coord.addr, ...extra]
      attempts.push(
        [`${who}: ls`, ['ls', ...base]],
        [`${who}: get by file id`, ['get', fileId, '--out', sb.path('out'), ...base]]
      )
    }
    attempts.push(['no key: get by name', ['get', 'notes.txt', '--out', sb.path('out'), '--data-dir', sb.path('outsider-no key'), '--coordinator', coord.addr]])
    const results = await Promise.all(attempts.map(async ([, args]) => await sb.run(args, { timeoutMs: 60_000 })))
    results.forEach((r, i) => assertRefused(r, attempts[i][0]))
    console.log(`      e.g. ${results[0].stderr.trim()}`)
    await assert.rejects(stat(sb.path('out')), { code: 'ENOENT' }, 'nothing downloaded')
  })

  it("an outsider that knows a node's address cannot reach it either", async () => {
    const outsider = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
    const otherKey = parseNetworkKey(await readFile(sb.path('other.key'), 'utf8'))
    const wrongKey = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [], connectionProtector: networkProtector(otherKey) })
    try {
      const ids = await sb.json(inside('ls', '--flat', '--data-dir', sb.path('insider'), '--coordinator', coord.addr))
      const big = ids.find((f: any) => f.name === 'big.bin')
      await Promise.all([outsider, wrongKey].map(async host => {
        // refused while the connection is set up (its handshake cannot be read), not after
        await assert.rejects(host.dialProtocol(multiaddr(provider.addr), CHUNK_PROTOCOL, { signal: AbortSignal.timeout(15_000) }), (err: any) => {
          assert.ok(err.name === 'EncryptionFailedError' || err.code === 'ECONNRESET', `${String(err.name)}: ${String(err.message)}`)
          return true
        })
        await assert.rejects(
          download({ node: host, fileId: big.fileId, providers: [{ peerId: peerIdFromString(provider.peerId), addrs: [provider.addr] }], outDir: sb.path('direct-out'), manifestTimeout: 15_000 }),
          { name: 'ManifestUnavailableError' }
        )
      }))
    } finally {
      await outsider.stop()
      await wrongKey.stop()
    }
  })

  it('a malformed or missing key is one clear config error, exit 2', async () => {
    await writeFile(sb.path('bad.key'), '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')
    const cases: Array<[unknown, RegExp]> = [
      [{ node: { networkKey: 'bad.key' } }, /node\.networkKey .*bad\.key.*64 hex digits/],
      [{ node: { networkKey: 'missing.key' } }, /node\.networkKey: cannot read the network key .*missing\.key: no such file/],
      [{ node: { networkKey: '/key/swarm/psk/1.0.0/\n/base58/\nabc' } }, /node\.networkKey: not a network key/],
      [{ coordinator: { networkKey: 'bad.key' } }, /coordinator\.networkKey/],
      [{ coordinator: { allowPeers: ['not-a-peer-id'] } }, /coordinator\.allowPeers\[0\]: not a valid peer id/]
    ]
    for (const [i, [config, expect]] of cases.entries()) {
      const file = sb.path(`bad-${i}.json`)
      await writeFile(file, JSON.stringify(config))
      const command = 'coordinator' in (config as any) ? ['coordinator', '--data-dir', sb.path(`bad-${i}`), '--listen', LOCAL] : ['ls', '--data-dir', sb.path(`bad-${i}`)]
      const r = await sb.run([...command, '--config', file])
      assert.equal(r.code, 2, `case ${i}: exit ${r.code}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, expect)
    }
  })
})
