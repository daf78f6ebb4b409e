import { stat, mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { loadOrCreateKey } from '../host/identity.js'
import { createHost } from '../host/create-host.js'
import { providerRecords } from '../host/dht.js'
import { networkProtector } from '../host/pnet.js'
import type { ShareIndex } from '../share/share-index.js'
import { ControlServer, isListening, NodeAlreadyRunningError } from '../control/server.js'
import { controlSocketPath, ensureRunDir, inRunDir } from '../control/paths.js'
import { ConfigError } from '../config/errors.js'
import { CoordinatorNode } from './coordinator-node.js'
import { Finder } from './finder.js'
import { ShareList } from './share-list.js'
import { Downloads } from './downloads.js'
import { Seeder } from './seeder.js'
import { openShare } from './open-share.js'
import { announceChanges, daemonServices } from './services.js'
import type { DaemonServices } from './services.js'
import { controlHandlers } from './handlers.js'
import { RelayKeeper } from '../relay/keeper.js'
import { reachability } from '../relay/status.js'
import type { Host, NetworkServices } from '../host/create-host.js'
import type { ProviderRecords } from '../host/dht.js'
import type { NodeConfig } from '../config/load.js'
import type { BandwidthLimits, CallOptions, DaemonApi, Download, GetOptions, GetResult, LimitChange, NetworkFile, PeerInfo, ShareEntry, StatusInfo, UiLogin } from './api.js'
import { Bandwidth } from '../bandwidth/bandwidth.js'
import { NodeMetrics } from '../metrics/metrics.js'
import { Registry } from 'prom-client'
import { formatListenAddress } from '../api/address.js'
import { tokenFilePath } from '../api/auth.js'
import type { ApiAuth } from '../api/auth.js'
import { startHttpApi } from './http.js'
import { DownloadRegistry } from './download-registry.js'
import { NodeEvents, watchNodeEvents } from './events.js'
import { ApiUnavailableError, NotSharedError } from './errors.js'
import type { ApiServer } from '../api/server.js'
import type { EventStreams } from '../api/events.js'

const log = logger('fsnode:node')

/** Connections listed by status (a busy node may have hundreds). */
const MAX_STATUS_CONNECTIONS = 100

export interface DaemonOptions {
  /** Lines worth telling the user while the node runs (watch fallbacks, seeding...). */
  log?: (line: string) => void
}

interface Parts {
  share?: ShareIndex
  coordinator?: CoordinatorNode
  control?: ControlServer
  shareList?: ShareList
  relays?: RelayKeeper
  api?: ApiServer
  apiAuth?: ApiAuth
  streams?: EventStreams
  /** Where the host's libp2p metrics go: the node's metrics registry (a node with an API). */
  metricsRegistry?: Registry
}

/** The node's bandwidth limits and metrics, made before its host when services use them. */
interface Meters {
  bandwidth: Bandwidth
  metrics: NodeMetrics
}

/**
 * A node: the libp2p host, whose services serve, provide and announce what the share index
 * holds (node/services.ts), plus what it fetches (finder, downloads). `daemon()` is `fsnode
 * start`; `ephemeral()` is the short-lived node a command runs when no daemon is running on
 * its data dir.
 */
export class FsNode implements DaemonApi {
  readonly finder: Finder
  readonly transfers: Downloads
  /** What a daemon tells its watchers (GET /events). */
  readonly events = new NodeEvents()
  /** Gets running in the background (POST /downloads). */
  readonly registry: DownloadRegistry
  readonly records: ProviderRecords
  readonly bandwidth: Bandwidth
  readonly metrics: NodeMetrics
  private stopped = false
  private readonly unwatch: Array<() => void> = []

  private constructor (
    readonly config: NodeConfig,
    readonly host: Host<NetworkServices & Partial<DaemonServices>>,
    private readonly parts: Parts,
    coordinators: string[],
    meters?: Meters
  ) {
    this.finder = new Finder(host, coordinators)
    this.records = providerRecords(host)
    this.bandwidth = meters?.bandwidth ?? new Bandwidth(config.limits)
    this.metrics = meters?.metrics ?? new NodeMetrics({ downloadsActive: () => this.transfers.active().length, share: () => parts.share?.stats(), peersConnected: () => host.getPeers().length }, parts.metricsRegistry)
    const { share, shareList } = parts
    const seeder = share == null || !config.seed ? undefined : new Seeder(share, shareList)
    this.transfers = new Downloads({ host, finder: this.finder, records: this.records, config, share, fetched: seeder == null ? undefined : async f => { await seeder.seed(f) }, bandwidth: this.bandwidth, metrics: this.metrics })
    this.registry = new DownloadRegistry({ run: async (target, options) => await this.get(target, options), defaultOut: config.downloadsDir, events: this.events })
  }

  /** True while the node downloads or serves chunks: its DHT provides then wait (at most
   * PROVIDE_DEFER_MAX per file id), so they do not take the CPU a transfer needs. A provider
   * just started with a 2,000-file folder provided them all while serving a folder get. */
  busy (): boolean {
    return this.transfers.busy() || (this.host.services.chunkServer?.activeStreams ?? 0) > 0
  }

  static async daemon (config: NodeConfig, options: DaemonOptions = {}): Promise<FsNode> {
    const say = options.log ?? (() => {})
    const t0 = performance.now()
    const ms = (): number => Math.round(performance.now() - t0)
    await checkCanStart(config)
    const { privateKey } = await loadOrCreateKey(config.dataDir)
    const shareList = new ShareList(config.dataDir)
    const parts: Parts = { shareList }
    const cleanup: Array<() => Promise<void>> = []
    try {
      const coordinators = [...config.coordinators]
      if (config.embeddedCoordinator) {
        parts.coordinator = await CoordinatorNode.embedded(config, privateKey)
        cleanup.push(async () => { await parts.coordinator?.stop() })
        coordinators.unshift(parts.coordinator.localAddr())
      }
      // the share first: the chunk server, the provide upkeep and the announcer start with the
      // host, and serve, provide and announce what it holds
      const share = parts.share = await openShare(config, shareList, say)
      cleanup.push(async () => { await share.stop() })
      log('share indexed at %d ms', ms())
      // the chunk server counts and limits uploads: the meters are made before the host
      const live: { node?: FsNode } = {}
      // libp2p's metrics only for a node that serves /metrics: they wrap every connection's sends
      if (config.apiListen != null) parts.metricsRegistry = new Registry()
      const bandwidth = new Bandwidth(config.limits)
      const metrics = new NodeMetrics({ downloadsActive: () => live.node?.transfers.active().length ?? 0, share: () => share.stats(), peersConnected: () => live.node?.host.getPeers().length ?? 0 }, parts.metricsRegistry)
      const host = await createHost<NetworkServices & DaemonServices>({
        privateKey,
        metricsRegistry: parts.metricsRegistry,
        listen: config.listen,
        connectionProtector: networkProtector(config.networkKey),
        dht: true,
        mdns: config.mdns,
        bootstrap: [...coordinators, ...config.peers],
        dataDir: config.dataDir,
        relayClient: true,
        upnp: config.upnp,
        services: daemonServices({ config, share, coordinators, bandwidth, metrics, busy: () => live.node?.busy() ?? false })
      })
      cleanup.push(async () => { await host.stop() })
      log('host started at %d ms', ms())
      // the embedded coordinator shares this machine's network: no use as a relay for it
      parts.relays = new RelayKeeper(host, config.coordinators, config.relay)
      parts.relays.start()
      cleanup.push(async () => { parts.relays?.stop() })

      const node = live.node = new FsNode(config, host, parts, coordinators, { bandwidth, metrics })
      node.unwatch.push(announceChanges(share, host.services.announcer), watchNodeEvents(node.events, host, share))
      parts.control = new ControlServer(config.dataDir, controlHandlers(node))
      await parts.control.start()
      cleanup.push(async () => { await parts.control?.stop() })
      const http = await startHttpApi(config, { handlers: controlHandlers(node), events: node.events, metrics }, say)
      Object.assign(parts, http)
      // the watcher's first walk (a pass over the whole tree) after the node answers; what
      // changes meanwhile is caught up
      share.startWatching()
      log('node %p started in %d ms', host.peerId, ms())
      return node
    } catch (err) {
      for (const fn of cleanup.reverse()) await fn().catch(() => {})
      throw err
    }
  }

  static async ephemeral (config: NodeConfig): Promise<FsNode> {
    const { privateKey } = await loadOrCreateKey(config.dataDir)
    const host = await createHost<NetworkServices>({
      privateKey,
      listen: [],
      connectionProtector: networkProtector(config.networkKey),
      dht: { clientMode: true },
      mdns: config.mdns,
      bootstrap: [...config.coordinators, ...config.peers],
      dataDir: config.dataDir,
      relayClient: true
    })
    return new FsNode(config, host, {}, config.coordinators)
  }

  get running (): boolean {
    return this.parts.control != null
  }

  async status (): Promise<StatusInfo> {
    const share = this.parts.share
    const stats = share?.stats()
    const coordinatorStates = this.host.services.announcer?.state ?? this.config.coordinators.map(addr => ({ addr, connected: false }))
    return {
      running: this.running,
      peerId: this.host.peerId.toString(),
      dataDir: this.config.dataDir,
      addrs: this.host.getMultiaddrs().map(a => a.toString()),
      reachability: reachability(this.host.getMultiaddrs(), this.parts.relays?.state() ?? [], this.config.relay),
      coordinators: coordinatorStates.map(c => ({ addr: c.addr, connected: c.connected, lastAnnounceAt: (c as any).lastAnnounceAt, lastError: (c as any).lastError })),
      embeddedCoordinator: this.parts.coordinator != null,
      embeddedCoordinatorAddrs: this.parts.coordinator?.addrs(),
      limits: this.bandwidth.limits,
      apiUrl: this.parts.api?.url,
      api: this.parts.api?.url == null ? undefined : { url: this.parts.api.url, tokenFile: tokenFilePath(this.config.dataDir) },
      share: share == null || stats == null
        ? undefined
        : {
            roots: share.roots().map(r => r.path),
            files: stats.files,
            bytes: stats.bytes,
            hashed: stats.hashed,
            cached: stats.cached,
            hashedBytes: stats.hashedBytes,
            hashing: stats.hashing,
            scanMs: stats.scanMs,
            watching: stats.watching,
            lastError: stats.lastError
          },
      shares: this.parts.shareList?.list(),
      peers: this.host.getPeers().length,
      connections: this.connections(),
      dht: {
        routingTable: this.records.peers,
        ...(this.host.services.provideUpkeep?.stats() ?? {}),
        traffic: this.host.services.dhtTraffic?.stats()
      },
      downloads: this.transfers.active()
    }
  }

  async ls (options: { path?: string } & CallOptions = {}): Promise<NetworkFile[]> {
    const prefix = options.path == null || options.path === '' ? undefined : options.path.replace(/\/*$/, '/')
    const files = await this.finder.list(prefix, options.signal)
    // a path naming a file rather than a folder lists that file
    if (files.length === 0 && options.path != null) return await this.finder.list(options.path, options.signal).then(f => f.filter(x => x.name === options.path))
    return files
  }

  async search (text: string, options: CallOptions = {}): Promise<NetworkFile[]> {
    return await this.finder.search(text, options.signal)
  }

  async get (target: string, options: GetOptions = {}): Promise<GetResult> {
    return await this.transfers.get(target, options)
  }

  async share (path: string): Promise<{ path: string, files: number }> {
    const share = this.requireShare()
    const info = await share.addRoot(path)
    await this.parts.shareList?.add({ path: info.path, kind: 'share' })
    return { path: info.path, files: info.files }
  }

  async unshare (path: string): Promise<{ path: string, files: number }> {
    const share = this.requireShare()
    const info = await share.removeRoot(path)
    if (info == null) throw new NotSharedError(`${path} is not shared (only paths added with fsnode share can be unshared)`)
    await this.parts.shareList?.remove(info.path)
    return { path: info.path, files: info.files }
  }

  async limit (change: LimitChange, _options?: CallOptions): Promise<BandwidthLimits> {
    const limits = this.bandwidth.set(change)
    this.events.emit('limits', limits)
    return limits
  }

  async limits (_options?: CallOptions): Promise<BandwidthLimits> {
    return this.bandwidth.limits
  }

  async download (target: string, options: { out?: string } & CallOptions = {}): Promise<Download> {
    return this.registry.start(target, options.out)
  }

  async downloads (_options?: CallOptions): Promise<Download[]> {
    return this.registry.list()
  }

  async cancel (id: string, _options?: CallOptions): Promise<Download> {
    return this.registry.cancel(id)
  }

  async peers (_options?: CallOptions): Promise<PeerInfo[]> {
    return this.connections()
  }

  /** The share folder first, then the paths added with fsnode share, then seeded downloads. */
  async shares (_options?: CallOptions): Promise<ShareEntry[]> {
    const seeds = new Set((this.parts.shareList?.list() ?? []).filter(s => s.kind === 'seed').map(s => resolve(s.path)))
    const roots = this.parts.share?.roots() ?? []
    const entry = (r: { path: string, name: string, kind: string }): ShareEntry => {
      const kind = seeds.has(resolve(r.path)) ? 'seed' : r.kind === 'dir' ? 'folder' : 'file'
      return r.name === '' ? { path: r.path, kind } : { path: r.path, name: r.name, kind }
    }
    const main = roots.filter(r => r.name === '' && r.kind === 'dir')
    return [...main, ...roots.filter(r => !main.includes(r))].map(entry)
  }

  /** A one-time code for the browser UI, and the URL that uses it. */
  async uiLogin (_options?: CallOptions): Promise<UiLogin> {
    const api = this.parts.api
    const auth = this.parts.apiAuth
    if (api?.address == null || auth == null) throw new ApiUnavailableError('this node serves no HTTP API (node.api.listen or --api-listen is false, or its address was taken)')
    const { code, expiresAt } = auth.newLoginCode()
    // a wildcard listen address is no place to point a browser at: this machine's loopback is
    const host = api.address.host === '0.0.0.0' || api.address.host === '::' ? '127.0.0.1' : api.address.host
    return { url: `http://${formatListenAddress({ host, port: api.address.port })}/ui/login?code=${code}`, code, expiresAt }
  }

  private connections (): PeerInfo[] {
    return this.host.getConnections().slice(0, MAX_STATUS_CONNECTIONS).map(c => ({
      peerId: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direction: c.direction, relayed: c.remoteAddr.getComponents().some(x => x.name === 'p2p-circuit')
    }))
  }

  private requireShare (): ShareIndex {
    if (this.parts.share == null) throw new NotSharedError('sharing needs a running node (fsnode start)')
    return this.parts.share
  }

  /** Ephemeral nodes are closed by the command; a daemon by stop(). */
  async close (): Promise<void> {
    if (!this.running) await this.stop()
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.parts.control?.stop()
    this.parts.streams?.close()
    await this.parts.api?.stop()
    this.registry.stop()
    for (const fn of this.unwatch) fn()
    this.parts.relays?.stop()
    await this.finder.close()
    // stops the chunk server, the announcer and the provide upkeep with it, before the share
    // they read from
    await this.host.stop()
    await this.parts.share?.stop()
    await this.parts.shareList?.flush().catch(() => {})
    await this.parts.coordinator?.stop()
  }
}

/** Refused before anything is made (nothing changed): a missing share folder, or a node
 * already running on this data dir. */
async function checkCanStart (config: NodeConfig): Promise<void> {
  await assertFolder(config.shareDir, 'share folder')
  const socket = controlSocketPath(config.dataDir)
  if (inRunDir(socket)) await ensureRunDir(true)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  if (await isListening(socket)) {
    throw new NodeAlreadyRunningError(`a node is already running on ${config.dataDir} (fsnode status shows it); stop it first, or give a second node its own --data-dir and a free --listen port`)
  }
}

async function assertFolder (path: string, what: string): Promise<void> {
  let isDir = false
  try {
    isDir = (await stat(path)).isDirectory()
  } catch {
    throw new ConfigError(`${what} ${path} does not exist`)
  }
  if (!isDir) throw new ConfigError(`${what} ${path} is not a folder`)
}
