import assert from 'node:assert/strict'
import { sha256File, writeRandom } from '../e2e/files.js'
import { waitFor } from '../e2e/harness.js'
import { PUBLIC_NODE_IP, netnsUnavailable } from './netns.js'
import { NatScenario } from './scenario.js'

const MiB = 1024 * 1024

describe('behind NAT: a public node and a NATed node end on a direct connection (netns, DCUtR)', function () {
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

  it('the public node reaches the NATed one through the relay, the NATed one dials back directly, and the file does not cross the relay', async () => {
    const size = 16 * MiB
    await writeRandom(net.home('a', 'shared', 'natted.bin'), size)
    await net.startNode('ha', 'a')
    await net.startNode('pn', 'p')
    await net.relayed('a')
    const p = await waitFor(async () => {
      const s = await net.status('p')
      return s.reachability.mode === 'public' ? s : undefined
    }, 'p to see itself as public')
    assert.ok(p.reachability.public.some((x: string) => x.startsWith(`/ip4/${PUBLIC_NODE_IP}/tcp/`)), JSON.stringify(p.reachability))
    assert.ok(p.reachability.relays.every((r: any) => !r.reserved), 'a public node takes no relay slot')
    await net.sees('p', 'natted.bin', addrs => addrs.some(x => x.includes('/p2p-circuit')))
    const aId = (await net.status('a')).peerId
    const before = await net.lab.coordinatorBytes()
    await net.json('p', ['get', 'natted.bin', '--out', net.home('p', 'out')])
    const crossed = await net.lab.coordinatorBytes() - before
    assert.equal(await sha256File(net.home('p', 'out', 'natted.bin')), await sha256File(net.home('a', 'shared', 'natted.bin')))
    // the relay carried the first exchanges at most, not the file
    assert.ok(crossed < size / 4, `${crossed} bytes of a ${size}-byte file crossed the coordinator`)
    const conns = (await net.status('p')).connections.filter((c: any) => c.peerId === aId)
    assert.ok(conns.length > 0, 'p is connected to a')
    assert.ok(conns.every((c: any) => !c.relayed && c.direction === 'inbound'), JSON.stringify(conns))
  })
})
