import assert from 'node:assert/strict'
import { sha256File, writeRandom } from '../e2e/files.js'
import { netnsUnavailable } from './netns.js'
import { NatScenario } from './scenario.js'

const circuit = (addrs: string[]): boolean => addrs.some(x => x.includes('/p2p-circuit'))

describe('behind NAT: two NATed nodes through the coordinator (netns)', function () {
  this.timeout(240_000)
  const reason = netnsUnavailable()
  let net: NatScenario

  before(async function () {
    if (reason != null) { console.log(`      skipped: ${reason}`); this.skip() }
    net = await NatScenario.create()
    await net.startCoordinator()
  })

  after(async function () {
    await net?.destroy()
  })

  it('a NATed node gets a file from another NATed node by name, byte-identical, both directions, through the relay', async () => {
    await writeRandom(net.home('a', 'shared', 'from-a.bin'), 3 * 1024 * 1024 + 17)
    await writeRandom(net.home('b', 'shared', 'from-b.bin'), 2 * 1024 * 1024 + 5)
    await net.startNode('ha', 'a')
    await net.startNode('hb', 'b')
    for (const name of ['a', 'b']) {
      const s = await net.relayed(name)
      assert.equal(s.reachability.relays[0].reserved, true)
      assert.equal(s.reachability.relays[0].addrs[0], `${net.coordAddr}/p2p-circuit`)
    }
    // both announced their relayed addresses: each sees the other's file
    await net.sees('a', 'from-b.bin', circuit)
    await net.sees('b', 'from-a.bin', circuit)
    const before = await net.lab.coordinatorBytes()
    await net.json('a', ['get', 'from-b.bin', '--out', net.home('a', 'out')])
    assert.equal(await sha256File(net.home('a', 'out', 'from-b.bin')), await sha256File(net.home('b', 'shared', 'from-b.bin')))
    await net.json('b', ['get', 'from-a.bin', '--out', net.home('b', 'out')])
    assert.equal(await sha256File(net.home('b', 'out', 'from-a.bin')), await sha256File(net.home('a', 'shared', 'from-a.bin')))
    // the only way between the two NATs is the coordinator: both files crossed it (in from
    // one router, out to the other)
    const crossed = await net.lab.coordinatorBytes() - before
    assert.ok(crossed > 2 * (5 * 1024 * 1024), `only ${crossed} bytes crossed the coordinator's segment`)
    // and /metrics counts them as relayed, on both ends
    const relayed = (text: string, direction: string): number => Number(new RegExp(`^fsnode_relayed_bytes_total\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    const [ma, mb] = [await net.metrics('a'), await net.metrics('b')]
    assert.ok(relayed(ma, 'received') >= 2 * 1024 * 1024 + 5, `a received ${relayed(ma, 'received')} relayed bytes`)
    assert.ok(relayed(mb, 'sent') >= 2 * 1024 * 1024 + 5, `b sent ${relayed(mb, 'sent')} relayed bytes`)
    assert.ok(relayed(ma, 'sent') >= 3 * 1024 * 1024 + 17, `a sent ${relayed(ma, 'sent')} relayed bytes`)
  })

  it('fsnode status says how the node is reached: through which relay, on which local addresses', async () => {
    const text = await net.run('a', ['status'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`reachable: +through the relay of ${net.coordAddr.replace(/\//g, '\\/')} \\(no public address\\)`))
    const s = await net.status('a')
    assert.equal(s.reachability.mode, 'relayed')
    assert.deepEqual(s.reachability.public, [])
    assert.ok(s.reachability.local.some((x: string) => x.startsWith('/ip4/10.1.0.2/tcp/')), JSON.stringify(s.reachability.local))
  })
})
