/**
 * A node's libp2p host with fsnode's three services (chunk server, provide upkeep, announcer to
 * a coordinator that never answers), for services.spec: run as `node services-child.js`.
 * Prints one JSON line with the protocols served, and when stdin ends stops the host and prints
 * the protocols left. It never calls process.exit: it must end on its own once stopped.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createHost } from '../../src/host/create-host.js'
import { chunkServer } from '../../src/transfer/server.js'
import { announcer } from '../../src/index/announcer.js'
import { provideUpkeep } from '../../src/host/provide-upkeep-service.js'
import type { NetworkServices } from '../../src/host/create-host.js'
import type { DaemonServices } from '../../src/node/services.js'

const say = (line: object): void => { process.stdout.write(JSON.stringify(line) + '\n') }
// a coordinator nobody listens for: the announcer keeps retrying it with backoff timers
const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const host = await createHost<NetworkServices & DaemonServices>({
  privateKey: await generateKeyPair('Ed25519'),
  listen: ['/ip4/127.0.0.1/tcp/0'],
  dht: true,
  services: {
    chunkServer: chunkServer({ source: { getByFileId: () => undefined, revalidate: () => {} } }),
    provideUpkeep: provideUpkeep({ source: { fileIds: () => [] }, syncDelay: 50 }),
    announcer: announcer({ coordinators: [`/ip4/127.0.0.1/tcp/9/p2p/${nobody.toString()}`], files: () => [], backoff: { initial: 50, max: 200 } })
  }
})
say({
  protocols: host.getProtocols(),
  started: [host.services.chunkServer.isStarted(), host.services.provideUpkeep.isStarted(), host.services.announcer?.isStarted()]
})
process.stdin.resume()
process.stdin.on('end', () => {
  void (async () => {
    await host.stop()
    say({
      stopped: true,
      protocols: host.getProtocols(),
      started: [host.services.chunkServer.isStarted(), host.services.provideUpkeep.isStarted(), host.services.announcer?.isStarted()]
    })
    process.stdin.pause()
  })()
})
