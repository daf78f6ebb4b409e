import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { ServingSlots, addressKey } from '../../src/transfer/slots.js'
import type { SlotHolder } from '../../src/transfer/slots.js'

function holder (address: string, peer: string, evicted: SlotHolder[], idle = true): SlotHolder {
  const h: SlotHolder = { address, peer, idle, served: false, evict: () => { evicted.push(h) } }
  return h
}

describe('transfer/slots', () => {
  it('keys IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4', () => {
    assert.equal(addressKey(multiaddr('/ip4/10.1.2.3/tcp/4001')), '10.1.2.3')
    assert.equal(addressKey(multiaddr('/ip6/2001:db8:1:2::5/tcp/1')), '2001:db8:1:2::/64')
    assert.equal(addressKey(multiaddr('/ip6/2001:db8:1:2:ffff:0:0:9/tcp/1')), '2001:db8:1:2::/64')
    assert.equal(addressKey(multiaddr('/ip6/::1/tcp/1')), '0:0:0:0::/64')
    assert.equal(addressKey(multiaddr('/ip6/::ffff:1.2.3.4/tcp/1')), '1.2.3.4')
  })

  it('caps slots per address and per peer, whatever the total left', () => {
    const slots = new ServingSlots({ total: 100, perAddress: 4, perPeer: 2 })
    const ev: SlotHolder[] = []
    assert.equal(slots.acquire(holder('a', 'p1', ev)), true)
    assert.equal(slots.acquire(holder('a', 'p1', ev)), true)
    assert.equal(slots.acquire(holder('a', 'p1', ev)), false, 'peer cap')
    assert.equal(slots.acquire(holder('a', 'p2', ev)), true)
    assert.equal(slots.acquire(holder('a', 'p3', ev)), true)
    assert.equal(slots.acquire(holder('a', 'p4', ev)), false, 'address cap')
    assert.equal(slots.acquire(holder('b', 'p4', ev)), true)
    assert.equal(slots.size, 5)
    assert.deepEqual(ev, [])
  })

  it('when full, newcomers take idle slots of the biggest address until shares are even', () => {
    const slots = new ServingSlots({ total: 8, perAddress: 8, perPeer: 8 })
    const ev: SlotHolder[] = []
    const busyOne = holder('a', 'x', ev, false) // mid-response: never evicted
    slots.acquire(busyOne)
    for (let i = 0; i < 7; i++) assert.equal(slots.acquire(holder('a', `p${i % 2}`, ev)), true)
    let got = 0
    while (slots.acquire(holder('b', 'q', ev))) got++
    assert.equal(got, 4, 'b gets half')
    assert.equal(ev.length, 4)
    assert.ok(!ev.includes(busyOne))
    assert.equal(slots.size, 8)
    assert.equal(slots.acquire(holder('a', 'p9', ev)), false, 'a cannot take them back')
  })
})
