/** Defaults of the chunk protocol (server) and of downloads. Every one can be overridden
 * through the init/options objects, so tests run with short timeouts. */

export { CHUNK_PROTOCOL } from '../wire/constants.js'

// ---- server ----

/** Chunk streams one connection may open to us at once (libp2p refuses the rest): room for
 * STREAMS_PER_PROVIDER streams of each of a folder get's concurrent files, plus manifests.
 * The default of `node.limits.maxInboundStreams`. */
export const MAX_INBOUND_STREAMS = 32
/** Outbound chunk streams per connection. libp2p applies a handler's limit to our own dials
 * too, so it must leave room for STREAMS_PER_PROVIDER per download. */
export const MAX_OUTBOUND_STREAMS = 64
/** Streams served at once over all peers; more get BUSY. */
export const MAX_ACTIVE_STREAMS = 512
/** Of those, the most one address may hold (an IPv4 address, an IPv6 /64): peer ids are free,
 * addresses are not, so it takes 8 addresses to fill a node, and fair sharing (slots.ts) then
 * still gives a newcomer an idle slot of the biggest holder. */
export const MAX_STREAMS_PER_ADDRESS = 64
/** Of those, the most one peer id may hold over all its connections. */
export const MAX_STREAMS_PER_PEER = 32
/** A stream with no request for this long is closed. */
export const SERVER_IDLE_TIMEOUT = 60_000
/** A peer that stops reading for this long has its stream reset. */
export const SERVER_SEND_TIMEOUT = 30_000
/** Bytes read from disk per send: big enough to amortise the syscall and the noise frame,
 * small enough that a stream holds little memory while it waits for the window. */
export const SERVER_READ_SIZE = 512 * 1024
/** Small answers held back to go out together, at most this many bytes: one noise frame
 * (65,535 bytes with its 16-byte tag) with a yamux header. */
export const SERVER_COALESCE_BYTES = 65_000
/** Unread request bytes buffered before the stream is paused: a few pipelined requests. */
export const SERVER_REQUEST_HIGH_WATER = 4 * 1024
/** File handles kept open per stream (a small LRU) instead of reopening per chunk. */
export const SERVER_OPEN_FILES = 4

// ---- download ----

/** Streams opened to each provider, over one connection. */
export const STREAMS_PER_PROVIDER = 4
/** Requests pipelined on one stream, so the next response is already under way when the
 * current one ends. */
export const REQUESTS_PER_STREAM = 2
/** A request that makes no progress (no byte) for this long fails. */
export const CHUNK_TIMEOUT = 30_000
/** Time for one provider to answer with the manifest. */
export const MANIFEST_TIMEOUT = 30_000
/** Time to connect to a provider. */
export const DIAL_TIMEOUT = 10_000
/** Time to open (negotiate) one stream on an open connection. */
export const STREAM_OPEN_TIMEOUT = 10_000
/** Bytes of chunks requested or waiting for the disk, over all providers of one download:
 * bounds memory whatever the file or chunk size. Three providers at 4 streams x 2 requests of
 * 1 MiB chunks need 24 MiB; more never made a get faster here, and each in-flight chunk may
 * hold a chunk buffer. At least MAX_CHUNK_SIZE x 2, so 16 MiB chunks still pipeline. */
export const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024
/** The same over every download of a node (a folder get fetches several files at once). */
export const MAX_NODE_IN_FLIGHT_BYTES = 64 * 1024 * 1024
/** Chunks requested or waiting for the disk in one download, whatever their size: small
 * chunks cost per-chunk work and buffers. The default of `node.limits.maxInflightChunks`. */
export const MAX_IN_FLIGHT_CHUNKS = 32
/** Files of a folder download fetched at once (the default of `node.limits.concurrentFiles`):
 * with STREAMS_PER_PROVIDER streams each, they fit in a provider's MAX_INBOUND_STREAMS. */
export const CONCURRENT_FILES = 4
/** Files of a folder get up to this size (one chunk of the smallest chunk size) are fetched in
 * batches: manifest and chunk asked for at once, many files pipelined on a few streams. */
export const BATCH_MAX_FILE_BYTES = 256 * 1024
/** Streams a batch of small files uses on its provider's connection. */
export const BATCH_STREAMS = 2
/** Files requested ahead on one batch stream (and placements under way per stream): at most
 * BATCH_STREAMS x BATCH_PIPELINE x BATCH_MAX_FILE_BYTES (8 MiB) held at once. */
export const BATCH_PIPELINE = 16
/** Providers a download uses (and asks for the manifest at once), whatever a lookup lists. */
export const MAX_PROVIDERS_PER_DOWNLOAD = 20
/** Verified chunks that may wait for the disk beyond the requests in flight: enough to keep
 * writes going while the network delivers the next ones; with 1 MiB chunks one download then
 * holds 8 + 4 chunk buffers, 12 MiB (the 32 MiB budget allowed 32, and a disk slower than the
 * network filled them: +20 MB of downloader RSS for no speed). */
export const WRITE_QUEUE_CHUNKS = 4
/** Consecutive failures (timeouts, resets) after which a provider is dropped. */
export const MAX_PEER_FAILURES = 3
/** Times one provider is asked for one chunk before we give up on that pair. */
export const MAX_ATTEMPTS_PER_PEER = 2
/** Copies of one chunk in flight at once in the endgame. */
export const ENDGAME_COPIES = 2
/** Consecutive failed attempts to (re)open a stream before a stream worker gives up. */
export const MAX_STREAM_REOPENS = 2
/** Window over which a download with several providers looks at this machine's load and
 * its own rate, to decide how many providers to fetch from (focus.ts). */
export const FOCUS_WINDOW = 150
/** Event loop busy at least this share of a window: this machine's CPU is the limit. */
export const FOCUS_BUSY = 0.9
/** Busy less than this: there is CPU to spare for another provider. */
export const FOCUS_SPARE = 0.75
/** Windows in a row either must hold before the count changes. */
export const FOCUS_STREAK = 2
/** Fewer providers are used again only if they were measured at least this share of the
 * current rate. */
export const FOCUS_KEEP = 0.9
/** Counted windows after which a count of providers measured slower may be tried again. */
export const FOCUS_MEMORY = 40
/** Weight of the newest sample in a provider's throughput average. */
export const EWMA_ALPHA = 0.3
/** Least time between two progress events. */
export const PROGRESS_INTERVAL = 200
/** Window over which the progress rate is measured. */
export const RATE_WINDOW = 5_000

// ---- partial files ----

/** Folder under the output folder holding unfinished downloads. */
export const PARTIAL_DIR = '.fsnode-partial'
/** Times the partial folder and a file in it are created again when another process removed
 * the (then empty) folder in between. */
export const PARTIAL_DIR_RETRIES = 5
/** Record verified chunks on disk (fsync data, then the state file) after this many... */
export const STATE_FLUSH_CHUNKS = 64
/** ...or this long, whichever comes first. */
export const STATE_FLUSH_INTERVAL = 1_000
/** Longest file name segment, in UTF-8 bytes (ext4, APFS, NTFS all allow 255). */
export const MAX_SEGMENT_BYTES = 255
