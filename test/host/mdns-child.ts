/**
 * One mDNS node for the network-namespace variant of mdns.spec: run as
 * `ip netns exec NS node dist/test/host/mdns-child.js SERVICE_TAG`. Prints JSON lines:
 * {"id"} once listening, {"connected"} for every peer it connects to; exits when stdin ends.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createHost } from '../../src/host/create-host.js'
import type { NetworkServices } from '../../src/host/create-host.js'

const tag = process.argv[2]
const host = await createHost<NetworkServices>({
  privateKey: await generateKeyPair('Ed25519'),
  listen: ['/ip4/0.0.0.0/tcp/0'],
  dht: true,
  mdns: { serviceTag: tag, interval: 500 }
})
const say = (line: object): void => { process.stdout.write(JSON.stringify(line) + '\n') }
host.addEventListener('connection:open', (e) => { say({ connected: e.detail.remotePeer.toString() }) })
say({ id: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) })
process.stdin.resume()
process.stdin.on('end', () => {
  void (async () => {
    await host.stop()
    process.exit(0)
  })()
})
