import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { hostOf, inboundGuard } from '../../src/host/inbound-guard.js'
import { addressKey } from '../../src/transfer/slots.js'
import type { MultiaddrConnection } from '@libp2p/interface'

const RELAY = '/ip4/7.0.0.1/tcp/7870/p2p/12D3KooWLCx3W7qToTsYanK8Ka6ETK6nL3S4qschCNTimXFJPzoY'
const PEERS = [
  '12D3KooWRKJHhP1QUUxw9wXH8bWCEN4juX5JwaqcKGKpePbkVj1i',
  '12D3KooWSt8ys1sfyotzQJZbwC6pKPjhBs14fwr4nfEYbetvbZs6',
  '12D3KooWCELeMySE1VGd1fpVWVFQe56bbAMjhbfcRMbjVfaeJR6Y'
]

/** An inbound connection as the gater sees it (only remoteAddr and the close event are used). */
function conn (addr: string): MultiaddrConnection {
  return Object.assign(new EventTarget(), { remoteAddr: multiaddr(addr) }) as unknown as MultiaddrConnection
}

describe('inbound guard: relayed connections count per relayed peer, not per relay IP', () => {
  it('hostOf names the relayed peer of a /p2p-circuit address and the IP of a direct one', () => {
    assert.equal(hostOf(conn(`${RELAY}/p2p-circuit/p2p/${PEERS[0]}`)), `relayed:${PEERS[0]}`)
    assert.equal(hostOf(conn('/ip4/10.1.0.2/tcp/4001')), '10.1.0.2')
  })

  it('peers relayed by one coordinator each get their own share of the upgrade slots', async () => {
    // 4 slots, at most 1 per host once half are taken
    const gater = inboundGuard({}, { maxPending: 4, maxPendingPerHost: 1 })
    const deny = async (addr: string): Promise<boolean> => await gater.denyInboundConnection!(conn(addr)) as boolean
    assert.equal(await deny(`${RELAY}/p2p-circuit/p2p/${PEERS[0]}`), false)
    assert.equal(await deny(`${RELAY}/p2p-circuit/p2p/${PEERS[1]}`), false)
    // half taken: a second pending connection of the same relayed peer is refused...
    assert.equal(await deny(`${RELAY}/p2p-circuit/p2p/${PEERS[0]}`), true)
    // ...but another peer behind the same relay still gets in (counted by relay IP, all three
    // would be one host and this one refused)
    assert.equal(await deny(`${RELAY}/p2p-circuit/p2p/${PEERS[2]}`), false)
  })
})

describe('chunk server: relayed connections count per relayed peer, not per relay IP', () => {
  it('addressKey keys a relayed connection by its relayed peer, a direct one by IP', () => {
    const a = addressKey(multiaddr(`${RELAY}/p2p-circuit/p2p/${PEERS[0]}`))
    const b = addressKey(multiaddr(`${RELAY}/p2p-circuit/p2p/${PEERS[1]}`))
    assert.notEqual(a, b, 'two peers behind one relay must not share a quota')
    assert.equal(a, `relayed:${PEERS[0]}`)
    assert.equal(addressKey(multiaddr('/ip4/7.0.0.1/tcp/7870')), '7.0.0.1')
  })
})
