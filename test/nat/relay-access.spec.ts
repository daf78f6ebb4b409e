import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { waitFor } from '../e2e/harness.js'
import { netnsUnavailable } from './netns.js'
import { NatScenario } from './scenario.js'

describe('behind NAT: only the network\'s peers may use the relay (netns)', function () {
  this.timeout(240_000)
  const reason = netnsUnavailable()
  let net: NatScenario

  before(async function () {
    if (reason != null) { console.log(`      skipped: ${reason}`); this.skip() }
    net = await NatScenario.create()
  })

  after(async function () {
    await net?.destroy()
  })

  it('a peer not in coordinator.allowPeers cannot reserve, and cannot be relayed to a member', async () => {
    const member = await net.peerId('a')
    await net.startCoordinator({ allowPeers: [member] })
    await net.startNode('ha', 'a')
    await writeFile(net.home('a', 'shared', 'member.txt'), 'only for the network\n')
    await net.startNode('hb', 'b')
    await net.relayed('a')
    // the outsider is told why, in its status
    const refused = await waitFor(async () => {
      const s = await net.status('b')
      return s.reachability.relays[0]?.error != null ? s : undefined
    }, 'b\'s refused reservation', 60_000)
    assert.equal(refused.reachability.mode, 'lan')
    assert.equal(refused.reachability.relays[0].reserved, false)
    assert.match(refused.reachability.relays[0].error, /not allowed to use the relay \(PERMISSION_DENIED; see coordinator\.allowPeers\)/)
    assert.ok(!refused.addrs.some((x: string) => x.includes('/p2p-circuit')))
    const text = await net.run('b', ['status'])
    assert.match(text.stdout, /reachable: +only from its own network/)
    assert.match(text.stdout, /relay: +no relay slot on .*PERMISSION_DENIED/)
    // listing stays open to everyone on the network; a circuit from the outsider is refused
    await net.sees('b', 'member.txt')
    const got = await net.run('b', ['get', 'member.txt', '--out', net.home('b', 'out'), '--json'])
    assert.equal(got.code, 1)
    assert.match(got.stderr, /no provider answered/)
    assert.ok(!existsSync(net.home('b', 'out', 'member.txt')))
  })
})

describe('behind NAT: without the network key a node can neither reserve nor relay (netns)', function () {
  this.timeout(240_000)
  const reason = netnsUnavailable()
  let net: NatScenario

  before(async function () {
    if (reason != null) { console.log(`      skipped: ${reason}`); this.skip() }
    net = await NatScenario.create()
  })

  after(async function () {
    await net?.destroy()
  })

  it('a member reserves on the private coordinator; a node without the key reaches neither it nor the member through it', async () => {
    const key = net.home('swarm.key')
    const made = await net.lab.run('inet', ['network-key', '--out', key], net.dir)
    assert.equal(made.code, 0, made.stderr)
    await net.startCoordinator({ networkKey: key })
    await net.startNode('ha', 'a', [], { FSNODE_NETWORK_KEY: key })
    await writeFile(net.home('a', 'shared', 'member.txt'), 'only for the network\n')
    const member = await net.relayed('a')
    const relayedAddr = member.addrs.find((x: string) => x.includes('/p2p-circuit')) as string
    await net.sees('a', 'member.txt')
    const fileId = (await net.json('a', ['ls'])).find((f: any) => f.name === 'member.txt').fileId

    // the outsider knows the member's relayed address (as a DHT peer) and the file's id
    const config = net.home('b.json')
    await writeFile(config, JSON.stringify({ node: { peers: [relayedAddr] } }))
    await net.startNode('hb', 'b', ['--config', config])
    const refused = await waitFor(async () => {
      const s = await net.status('b')
      return s.coordinators[0]?.lastError != null ? s : undefined
    }, "b's failed connection to the coordinator", 60_000)
    assert.equal(refused.coordinators[0].connected, false)
    assert.equal(refused.reachability.relays[0].reserved, false)
    assert.ok(!refused.addrs.some((x: string) => x.includes('/p2p-circuit')), 'no relayed address without a reservation')
    const got = await net.run('b', ['get', fileId, '--out', net.home('b', 'out'), '--json'])
    assert.equal(got.code, 1, got.stdout)
    assert.match(got.stderr, /^fsnode: /)
    assert.ok(!existsSync(net.home('b', 'out', 'member.txt')))
    const bId = refused.peerId
    const aConns = (await net.status('a')).connections.filter((c: any) => c.peerId === bId)
    assert.deepEqual(aConns, [], 'the member never got a connection from the outsider, relayed or not')
  })
})
