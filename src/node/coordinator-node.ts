import { loadOrCreateKey } from '../host/identity.js'
import { createHost } from '../host/create-host.js'
import { networkProtector } from '../host/network-key.js'
import { createCoordinator } from '../index/service.js'
import type { Host } from '../host/create-host.js'
import type { CoordinatorService } from '../index/service.js'
import type { CoordinatorConfig } from '../config/load.js'

/**
 * A coordinator: its own libp2p host (own key, own port) serving the index. `fsnode coordinator`
 * runs one; `fsnode start` with `embeddedCoordinator` runs one in the same process, which the
 * node then uses like any other coordinator, so there is a single code path.
 */
export class CoordinatorNode {
  private constructor (readonly host: Host, readonly service: CoordinatorService) {}

  static async start (config: Pick<CoordinatorConfig, 'dataDir' | 'listen' | 'graceSeconds' | 'networkKey' | 'allowPeers'>): Promise<CoordinatorNode> {
    const { privateKey } = await loadOrCreateKey(config.dataDir)
    // the coordinator is also the DHT's natural entry point: nodes that join through it learn
    // of each other, and keep finding files by id when it is gone
    const host = await createHost({
      privateKey, listen: config.listen, connectionProtector: networkProtector(config.networkKey), dht: true, dataDir: config.dataDir
    })
    const service = createCoordinator(host, { dataDir: config.dataDir, graceMs: config.graceSeconds * 1000, allowPeers: config.allowPeers })
    try {
      await service.start()
    } catch (err) {
      await host.stop()
      throw err
    }
    return new CoordinatorNode(host, service)
  }

  get peerId (): string {
    return this.host.peerId.toString()
  }

  addrs (): string[] {
    return this.host.getMultiaddrs().map(a => a.toString())
  }

  /** An address on this machine to reach it from the node running beside it. */
  localAddr (): string {
    const addrs = this.addrs()
    return addrs.find(a => a.includes('/ip4/127.0.0.1/')) ?? addrs[0]
  }

  async stop (): Promise<void> {
    await this.service.stop()
    await this.host.stop()
  }
}
