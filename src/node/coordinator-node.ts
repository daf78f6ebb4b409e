import { loadOrCreateKey } from '../host/identity.js'
import { createHost } from '../host/create-host.js'
import { networkProtector } from '../host/pnet.js'
import { createCoordinator } from '../index/service.js'
import type { Host } from '../host/create-host.js'
import type { CoordinatorService } from '../index/service.js'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { CoordinatorConfig, NodeConfig, RelayConfig } from '../config/load.js'
import { DEFAULT_RELAY_LIMITS } from '../relay/constants.js'
import type { ThrottleStats } from '../relay/throttle.js'
import { CoordinatorMetrics } from '../metrics/coordinator.js'
import { ApiServer, getRoute } from '../api/server.js'
import { formatListenAddress, isLoopbackHost } from '../api/address.js'
import type { ListenAddress } from '../api/address.js'

/**
 * A coordinator: its own libp2p host (own key, own port) serving the index. `fsnode coordinator`
 * runs one; `fsnode start` with `embeddedCoordinator` runs one in the same process, which the
 * node then uses like any other coordinator, so there is a single code path.
 */
export class CoordinatorNode {
  private api?: ApiServer

  private constructor (readonly host: Host, readonly service: CoordinatorService) {}

  /** The coordinator a node runs beside itself (`embeddedCoordinator`), in its data dir. */
  static async embedded (config: NodeConfig, nodeKey: PrivateKey): Promise<CoordinatorNode> {
    // on the node's own network; the node itself may always announce to it
    const allowPeers = config.coordinatorAllowPeers == null ? undefined : [...config.coordinatorAllowPeers, peerIdFromPrivateKey(nodeKey).toString()]
    return await CoordinatorNode.start({
      dataDir: join(config.dataDir, 'coordinator'),
      listen: config.coordinatorListen,
      graceSeconds: config.coordinatorGraceSeconds,
      networkKey: config.networkKey,
      allowPeers,
      relay: config.coordinatorRelay
    })
  }

  /** `apiListen`: serve GET /metrics there (a standalone coordinator; an embedded one is in the
   * node's metrics). `warn` hears a non-loopback address. */
  static async start (config: Pick<CoordinatorConfig, 'dataDir' | 'listen' | 'graceSeconds' | 'networkKey' | 'allowPeers'> & { relay?: RelayConfig, apiListen?: ListenAddress }, warn: (line: string) => void = () => {}): Promise<CoordinatorNode> {
    const { privateKey } = await loadOrCreateKey(config.dataDir)
    const relay = config.relay ?? { enabled: true, ...DEFAULT_RELAY_LIMITS }
    // the coordinator is also the DHT's natural entry point: nodes that join through it learn
    // of each other, and keep finding files by id when it is gone; and the one host everyone
    // reaches, so it relays between nodes that cannot reach each other (README "Behind NAT")
    const host = await createHost({
      privateKey,
      listen: config.listen,
      connectionProtector: networkProtector(config.networkKey),
      dht: true,
      dataDir: config.dataDir,
      relayServer: relay.enabled ? { ...relay, allowPeers: config.allowPeers == null ? undefined : new Set(config.allowPeers) } : undefined
    })
    let metrics: CoordinatorMetrics | undefined
    const service = createCoordinator(host, {
      dataDir: config.dataDir,
      graceMs: config.graceSeconds * 1000,
      allowPeers: config.allowPeers,
      observe: (type, seconds, result) => metrics?.query(type, seconds, result)
    })
    const node = new CoordinatorNode(host, service)
    try {
      await service.start()
      if (config.apiListen != null) {
        metrics = new CoordinatorMetrics({ index: () => service.isStarted() ? service.store.stats() : undefined, peersConnected: () => host.getPeers().length })
        if (!isLoopbackHost(config.apiListen.host)) warn(`warning: metrics served on ${formatListenAddress(config.apiListen)}, reachable from other machines`)
        const m = metrics
        node.api = new ApiServer(config.apiListen, { exact: { '/metrics': getRoute(async () => await m.scrape()) } })
        await node.api.start()
      }
    } catch (err) {
      await service.stop().catch(() => {})
      await host.stop()
      throw err
    }
    return node
  }

  /** Where GET /metrics is served, when it is. */
  get apiUrl (): string | undefined {
    return this.api?.url
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

  /** What the relay carried (undefined: relay off). */
  relayStats (): ThrottleStats | undefined {
    return (this.host.services as any).relay?.relayStats()
  }

  async stop (): Promise<void> {
    await this.api?.stop()
    await this.service.stop()
    await this.host.stop()
  }
}
