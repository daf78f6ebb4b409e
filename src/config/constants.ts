import envPaths from 'env-paths'
import { CONCURRENT_FILES, MAX_IN_FLIGHT_CHUNKS, MAX_INBOUND_STREAMS, STREAMS_PER_PROVIDER } from '../transfer/constants.js'
import { OFFLINE_GRACE } from '../index/constants.js'

const paths = envPaths('fsnode', { suffix: '' })

/** Where a node keeps its key, hash cache and control socket unless told otherwise. */
export const DEFAULT_DATA_DIR = paths.data
export const DEFAULT_COORDINATOR_DATA_DIR = `${paths.data}/coordinator`
/** Looked up when no --config / FSNODE_CONFIG is given: ./config.json first, then this. */
export const USER_CONFIG_FILE = `${paths.config}/config.json`
export const LOCAL_CONFIG_FILE = 'config.json'

/** IPv4 and IPv6: many NATed networks have global IPv6 addresses that need no relay (a host
 * without IPv6 just listens on IPv4). */
export const DEFAULT_NODE_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0']
export const DEFAULT_COORDINATOR_LISTEN = ['/ip4/0.0.0.0/tcp/7870', '/ip6/::/tcp/7870']
export const DEFAULT_SHARE_DIR = 'shared'
export const DEFAULT_DOWNLOADS_DIR = 'downloads'

/** How long a disconnected provider's entries stay listed. */
export const DEFAULT_GRACE_SECONDS = OFFLINE_GRACE / 1000

/** Defaults of `node.limits`, from the constants of the folders that use them. */
export const DEFAULT_LIMITS = {
  /** Streams opened to each provider during a download. */
  streamsPerPeer: STREAMS_PER_PROVIDER,
  /** Chunks requested and not yet written in one download, over all providers; bytes are
   * bounded apart (MAX_IN_FLIGHT_BYTES per download, MAX_NODE_IN_FLIGHT_BYTES per node). */
  maxInflightChunks: MAX_IN_FLIGHT_CHUNKS,
  /** Inbound chunk streams accepted per connection. */
  maxInboundStreams: MAX_INBOUND_STREAMS,
  /** Files of a folder download fetched at once. */
  concurrentFiles: CONCURRENT_FILES,
  /** Bytes per second sent, over all peers; 0 = no limit. */
  upload: 0,
  /** Bytes per second received, over all peers; 0 = no limit. */
  download: 0,
  /** Limit peers on the local network too (they are exempt by default, as in Syncthing). */
  limitLan: false,
  /** Bytes per second to and from each peer on its own (within the node's limits); 0 = none. */
  perPeer: { upload: 0, download: 0 }
} as const
