import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createHost } from '../../src/host/create-host.js'

// UPnP asks the home router to map a port to the node: pointless (and ~75 modules loaded) when
// the node listens on loopback only, which no router can reach.
describe('createHost: UPnP port mapping', function () {
  this.timeout(20_000)

  for (const [listen, wanted] of [
    [['/ip4/127.0.0.1/tcp/0'], false],
    [['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'], false],
    [['/ip4/0.0.0.0/tcp/0'], true],
    [['/ip4/127.0.0.1/tcp/0', '/ip4/0.0.0.0/tcp/0'], true]
  ] as const) {
    it(`${wanted ? 'is' : 'is not'} set up when listening on ${listen.join(' and ')}`, async () => {
      const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [...listen], upnp: true })
      try {
        assert.equal('upnp' in host.services, wanted)
      } finally {
        await host.stop()
      }
    })
  }

  it('is not set up when turned off', async () => {
    const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/0.0.0.0/tcp/0'], upnp: false })
    try {
      assert.equal('upnp' in host.services, false)
    } finally {
      await host.stop()
    }
  })
})
