import { stat, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { loadOrCreateKey } from '../host/identity.js'
import { createHost } from '../host/create-host.js'
import { providerRecords, ProvideUpkeep } from '../host/dht.js'
import { networkProtector } from '../host/network-key.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ShareIndex } from '../share/share-index.js'
import { Announcer } from '../index/announcer.js'
import { ControlServer, isListening, NodeAlreadyRunningError } from '../control/server.js'
import { controlSocketPath, ensureRunDir, inRunDir } from '../control/paths.js'
import { ConfigError } from '../config/errors.js'
import { CoordinatorNode } from './coordinator-node.js'
import { Finder } from './finder.js'
import { ShareList } from './share-list.js'
import { Downloads } from './downloads.js'
import { controlHandlers } from './handlers.js'
import { RelayKeeper } from '../relay/keeper.js'
import { reachability } from '../relay/status.js'
import type { Host, NetworkServices } from '../host/create-host.js'
import type { ProviderRecords } from '../host/dht.js'
import type { NodeConfig } from '../config/load.js'
import type { SharedFile } from '../share/types.js'
import type { AnnounceFile } from '../index/client.js'
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
/** Changes to the share within this window reach the DHT provide upkeep as one diff. */
export const PROVIDE_SYNC_DELAY_MS = 1_000

/** Connections listed by status (a busy node may have hundreds). */
const MAX_STATUS_CONNECTIONS = 100

export interface DaemonOptions {
  /** Lines worth telling the user while the node runs (watch fallbacks, seeding...). */
  log?: (line: string) => void
}

interface Parts {
  share?: ShareIndex
  announcer?: Announcer
  coordinator?: CoordinatorNode
  control?: ControlServer
  upkeep?: ProvideUpkeep
  shareList?: ShareList
  relays?: RelayKeeper
  api?: ApiServer
  apiAuth?: ApiAuth
  streams?: EventStreams
  /** Where the host's libp2p metrics go: the node's metrics registry (a node with an API). */
  metricsRegistry?: Registry
}

/**
 * A node: the libp2p host plus what it shares (share index, chunk server, announcer) and what
 * it fetches (finder, downloads). `daemon()` is `fsnode start`; `ephemeral()` is the
 * short-lived node a command runs when no daemon is running on its data dir.
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
    readonly host: Host<NetworkServices>,
    private readonly parts: Parts,
    coordinators: string[]
  ) {
    this.finder = new Finder(host, coordinators)
    this.records = providerRecords(host)
    this.bandwidth = new Bandwidth(config.limits)
    this.metrics = new NodeMetrics({
      downloadsActive: () => this.transfers.active().length,
      share: () => parts.share?.stats(),
      peersConnected: () => host.getPeers().length
    }, parts.metricsRegistry)
    this.transfers = new Downloads({ host, finder: this.finder, records: this.records, config, share: parts.share, shareList: parts.shareList, bandwidth: this.bandwidth, metrics: this.metrics })
    this.registry = new DownloadRegistry({ run: async (target, options) => await this.get(target, options), defaultOut: config.downloadsDir, events: this.events })
  }

  static async daemon (config: NodeConfig, options: DaemonOptions = {}): Promise<FsNode> {
    const say = options.log ?? (() => {})
    const t0 = performance.now()
    const ms = (): number => Math.round(performance.now() - t0)
    await assertFolder(config.shareDir, 'share folder')
    const socket = controlSocketPath(config.dataDir)
    if (inRunDir(socket)) await ensureRunDir(true) // before anything is made: refused, nothing changed
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
    if (await isListening(socket)) {
      throw new NodeAlreadyRunningError(`a node is already running on ${config.dataDir} (fsnode status shows it); stop it first, or give a second node its own --data-dir and a free --listen port`)
    }
    const { privateKey } = await loadOrCreateKey(config.dataDir)
    const parts: Parts = {}
    const cleanup: Array<() => Promise<void>> = []
    parts.shareList = new ShareList(config.dataDir)
    const extra = await parts.shareList.load()
    try {
      const coordinators = [...config.coordinators]
      if (config.embeddedCoordinator) {
        // on the node's own network; the node itself may always announce to it
        const allowPeers = config.coordinatorAllowPeers == null ? undefined : [...config.coordinatorAllowPeers, peerIdFromPrivateKey(privateKey).toString()]
        parts.coordinator = await CoordinatorNode.start({
          dataDir: join(config.dataDir, 'coordinator'),
          listen: config.coordinatorListen,
          graceSeconds: config.coordinatorGraceSeconds,
          networkKey: config.networkKey,
          allowPeers,
          relay: config.coordinatorRelay
        })
        cleanup.push(async () => { await parts.coordinator?.stop() })
        coordinators.unshift(parts.coordinator.localAddr())
      }
      // libp2p's metrics only for a node that serves /metrics: they wrap every connection's sends
      if (config.apiListen != null) parts.metricsRegistry = new Registry()
      const host = await createHost<NetworkServices>({
        privateKey,
        metricsRegistry: parts.metricsRegistry,
        listen: config.listen,
        connectionProtector: networkProtector(config.networkKey),
        dht: true,
        mdns: config.mdns,
        bootstrap: [...coordinators, ...config.peers],
        dataDir: config.dataDir,
        relayClient: true,
        upnp: config.upnp
      })
      cleanup.push(async () => { await host.stop() })
      // the embedded coordinator shares this machine's network: no use as a relay for it
      parts.relays = new RelayKeeper(host, config.coordinators, config.relay)
      parts.relays.start()
      cleanup.push(async () => { parts.relays?.stop() })
      log('host started at %d ms', ms())

      // the extra shares and seeds are indexed in the same pass as the share folder: one by one
      // after it, each cost a queue round, and the cache prune at the end of the scan dropped
      // their hashes, so every seed was hashed again on each restart
      const share = new ShareIndex({
        dataDir: config.dataDir,
        // (an empty name is the share folder's: such an entry is not shared, and dropped below)
        roots: [{ path: config.shareDir, name: '' }, ...extra.filter(s => s.name !== '').map(s => ({ path: s.path, name: s.name }))],
        exclude: [config.dataDir]
      })
      parts.share = share
      share.addEventListener('warning', (e: any) => say(`warning: ${String(e.detail)}`))
      await share.start({ deferWatch: true })
      cleanup.push(async () => { await share.stop() })
      log('share indexed at %d ms', ms())
      // an extra share that could not be shared again (gone, or clashing) has had its warning
      const shared = new Set(share.roots().map(r => r.path))
      for (const s of extra) {
        if (shared.has(resolve(s.path))) continue
        log('not sharing %s any more', s.path)
        await parts.shareList.remove(s.path)
      }

      const node = new FsNode(config, host, parts, coordinators)
      // every shared file id is provided on the DHT, so nodes find it without a coordinator
      const upkeep = new ProvideUpkeep(node.records, { fileIds: () => share.files().map(f => f.fileId) })
      parts.upkeep = upkeep
      // sync() diffs every shared file id: once per PROVIDE_SYNC_DELAY_MS, not once per change
      // (a seeded download is a change: per get, that diff grew with the files shared)
      let syncTimer: NodeJS.Timeout | undefined
      share.addEventListener('change', () => {
        syncTimer ??= setTimeout(() => { syncTimer = undefined; upkeep.sync() }, PROVIDE_SYNC_DELAY_MS).unref()
      })
      cleanup.push(async () => { await upkeep.stop() })
      await node.transfers.startServing()
      cleanup.push(async () => { await node.transfers.stopServing() })

      if (coordinators.length > 0) {
        const announcer = new Announcer({
          node: host,
          coordinators,
          source: { files: () => share.files().map(toAnnounce), addrs: () => host.getMultiaddrs() }
        })
        parts.announcer = announcer
        share.addEventListener('change', (e: any) => {
          announcer.removed(e.detail.removed)
          announcer.added((e.detail.added as SharedFile[]).map(toAnnounce))
        })
        announcer.start()
        cleanup.push(async () => { await announcer.stop() })
      }

      node.unwatch.push(watchNodeEvents(node.events, host, share))
      parts.control = new ControlServer(config.dataDir, controlHandlers(node))
      await parts.control.start()
      cleanup.push(async () => { await parts.control?.stop() })
      const http = await startHttpApi(config, { handlers: controlHandlers(node), events: node.events, metrics: node.metrics }, say)
      Object.assign(parts, http)
      // ready: answers on the control socket and serves chunks. Providing every file id on the
      // DHT (a diff over all of them, then network work) starts after, not before, that
      upkeep.start()
      // the watcher's first walk (a pass over the whole tree) too; what changes meanwhile is caught up
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
    const coordinatorStates = this.parts.announcer?.state ?? this.config.coordinators.map(addr => ({ addr, connected: false }))
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
        ...(this.parts.upkeep?.stats() ?? {}),
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
    await this.transfers.stopServing()
    await this.parts.announcer?.stop()
    await this.parts.upkeep?.stop()
    this.parts.relays?.stop()
    await this.finder.close()
    await this.parts.share?.stop()
    await this.parts.shareList?.flush().catch(() => {})
    await this.host.stop()
    await this.parts.coordinator?.stop()
  }
}

function toAnnounce (f: SharedFile): AnnounceFile {
  return { name: f.name, fileId: f.fileId, size: f.size, mtime: Math.floor(f.mtimeMs) }
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
