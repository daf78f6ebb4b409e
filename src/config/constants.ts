import envPaths from 'env-paths'
import { MAX_IN_FLIGHT_CHUNKS, MAX_INBOUND_STREAMS, STREAMS_PER_PROVIDER } from '../transfer/constants.js'

const paths = envPaths('fsnode', { suffix: '' })

/** Where a node keeps its key, hash cache and control socket unless told otherwise. */
export const DEFAULT_DATA_DIR = paths.data
export const DEFAULT_COORDINATOR_DATA_DIR = `${paths.data}/coordinator`
/** Looked up when no --config / FSNODE_CONFIG is given: ./config.json first, then this. */
export const USER_CONFIG_FILE = `${paths.config}/config.json`
export const LOCAL_CONFIG_FILE = 'config.json'

export const DEFAULT_NODE_LISTEN = ['/ip4/0.0.0.0/tcp/0']
export const DEFAULT_COORDINATOR_LISTEN = ['/ip4/0.0.0.0/tcp/7870']
export const DEFAULT_SHARE_DIR = 'shared'
export const DEFAULT_DOWNLOADS_DIR = 'downloads'

/** How long a disconnected provider's entries stay listed. */
export const DEFAULT_GRACE_SECONDS = 60

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
  concurrentFiles: 4
} as const
