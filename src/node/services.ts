import { chunkServer } from '../transfer/server.js'
import { announcer } from '../index/announcer.js'
import { provideUpkeep } from '../host/provide-upkeep-service.js'
import { metered } from '../metrics/metrics.js'
import { isCircuit } from '../relay/reachability.js'
import type { ChunkServer } from '../transfer/server.js'
import type { Announcer } from '../index/announcer.js'
import type { ProvideUpkeepService } from '../host/provide-upkeep-service.js'
import type { AnnounceFile } from '../index/client.js'
import type { ShareIndex } from '../share/share-index.js'
import type { SharedFile, ShareDelta } from '../share/types.js'
import type { NodeConfig } from '../config/load.js'
import type { Bandwidth } from '../bandwidth/bandwidth.js'
import type { NodeMetrics } from '../metrics/metrics.js'
import type { ServiceFactoryMap } from 'libp2p'

/** fsnode's own protocols, run by a daemon's libp2p node (host.services). */
export type DaemonServices = {
  chunkServer: ChunkServer
  provideUpkeep: ProvideUpkeepService
  /** Only with coordinators to announce to. */
  announcer?: Announcer
}

export interface DaemonServicesInit {
  config: NodeConfig
  /** Started: what is served, provided on the DHT and announced. */
  share: ShareIndex
  /** Coordinator addresses (the embedded one first). */
  coordinators: string[]
  bandwidth: Bandwidth
  metrics: NodeMetrics
  /** True while the node downloads or serves: DHT provides wait (see ProvideUpkeepInit.busy). */
  busy?: () => boolean
}

/**
 * The services' inits, from the config and the share: the host creates, starts and stops them
 * with the node. What serves, provides and announces is the share index's content.
 */
export function daemonServices (init: DaemonServicesInit): ServiceFactoryMap<DaemonServices> {
  const { config, share, bandwidth, metrics } = init
  const services: ServiceFactoryMap<DaemonServices> = {
    chunkServer: chunkServer({
      source: share,
      maxInboundStreams: config.limits.maxInboundStreams,
      limiter: conn => metered(bandwidth.uploadFor(conn), bytes => metrics.sent('chunk', bytes, isCircuit(conn.remoteAddr)))
    }),
    // every shared file id is provided on the DHT, so nodes find it without a coordinator
    provideUpkeep: provideUpkeep({
      source: { fileIds: () => share.fileIdKeys(), has: key => share.hasFileIdKey(key), count: () => share.fileIdCount },
      changes: share,
      busy: init.busy
    })
  }
  if (init.coordinators.length > 0) {
    services.announcer = announcer({ coordinators: init.coordinators, files: () => snapshot(share) })
  }
  return services
}

/** The share's changes, sent to the coordinators as they come; returns the function that
 * stops it. (The announcer reads the whole share itself for each snapshot.) */
export function announceChanges (share: ShareIndex, to: Announcer | undefined): () => void {
  if (to == null) return () => {}
  const onChange = (e: Event): void => {
    const { added, removed } = (e as CustomEvent<ShareDelta>).detail
    to.removed(removed)
    to.added(added.map(toAnnounce))
  }
  share.addEventListener('change', onChange)
  return () => { share.removeEventListener('change', onChange) }
}

/** The share as the snapshot sends it, one file at a time: the client writes each into its frame
 * as it reads, so no list of every file (with a CID each) is built (200,000 files: +370 MB), and
 * one object carries every file in turn (see AnnounceSource: none is kept). */
function * snapshot (share: ShareIndex): Generator<AnnounceFile> {
  const entry: AnnounceFile = { name: '', fileId: new Uint8Array(0), size: 0, mtime: 0 }
  for (const f of share.each()) {
    entry.name = f.name
    entry.fileId = f.fileIdBytes
    entry.size = f.size
    entry.mtime = Math.floor(f.mtimeMs)
    yield entry
  }
}

function toAnnounce (f: SharedFile): AnnounceFile {
  return { name: f.name, fileId: f.fileId, size: f.size, mtime: Math.floor(f.mtimeMs) }
}
