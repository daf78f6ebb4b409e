import { generateKeyPair } from '@libp2p/crypto/keys'
import { createHost } from '../../src/host/create-host.js'
import { createCoordinator } from '../../src/index/service.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorInit, CoordinatorService } from '../../src/index/service.js'
import type { PrivateKey } from '@libp2p/interface'
import { Teardown } from '../../kit/teardown.js'
import { LOCAL, fileIdOf } from '../../kit/hosts.js'
import type { CID } from 'multiformats/cid'
import type { Multiaddr } from '@multiformats/multiaddr'

export { LOCAL, fileIdOf }
export { waitFor } from '../../kit/wait.js'

export async function file (name: string, size = name.length, mtime = 1_700_000_000_000): Promise<{ name: string, fileId: CID, size: number, mtime: number }> {
  return { name, fileId: await fileIdOf(`content of ${name}`), size, mtime }
}

/** Hosts and coordinators made by a test, undone in reverse by `cleanup()`. */
export class Scene extends Teardown {
  override async tmpDir (prefix = 'fsnode-index-'): Promise<string> {
    return await super.tmpDir(prefix)
  }

  async host (listen = LOCAL, privateKey?: PrivateKey): Promise<Host> {
    const node = await createHost({ privateKey: privateKey ?? await generateKeyPair('Ed25519'), listen: [listen] })
    this.defer(async () => { await node.stop() })
    return node
  }

  /** A coordinator host with the index service started. */
  async coordinator (init: CoordinatorInit, listen = LOCAL, privateKey?: PrivateKey): Promise<{ node: Host, service: CoordinatorService, addr: Multiaddr }> {
    const node = await this.host(listen, privateKey)
    const service = createCoordinator(node, init)
    await service.start()
    this.defer(async () => { await service.stop() })
    return { node, service, addr: node.getMultiaddrs()[0] }
  }
}
