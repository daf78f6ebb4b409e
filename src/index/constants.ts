/** Defaults of the coordinator, its client and the announcer. Each is overridable by init. */

/** File name of the index database inside the coordinator's data dir. */
export const INDEX_DB_FILE = 'index.db'

/** SQLite page cache of the index database, in KiB. */
export const SQLITE_CACHE_KIB = 32 * 1024

/** How long the entries of a disconnected provider stay listed before they are dropped. */
export const OFFLINE_GRACE = 60_000
/** How often the sweeper drops providers offline for longer than the grace. */
export const SWEEP_INTERVAL = 10_000

/** Entries one peer may have in the index. */
export const MAX_ENTRIES_PER_PEER = 200_000
/** Addresses one peer may announce. */
export const MAX_ADDRS = 32
/** Bytes of one announced multiaddr. */
export const MAX_ADDR_BYTES = 256
/** Bytes (UTF-8) of a shared name. */
export const MAX_NAME_BYTES = 1024
/** Characters of an error code from a coordinator that the client keeps. */
export const MAX_ERROR_CODE = 32
/** Characters of a search text or a lookup name. */
export const MAX_QUERY_LENGTH = 1024
/** Words of a search text that are used; the rest is ignored. */
export const MAX_SEARCH_WORDS = 8

/** LIST / SEARCH page size when the request gives none, and the cap on what it may ask. */
export const DEFAULT_PAGE_SIZE = 500
export const MAX_PAGE_SIZE = 2_000
/** Rows a LOOKUP returns at most (file ids x providers). */
export const MAX_LOOKUP_ROWS = 2_000
/** Providers kept as ready wire messages for LIST/SEARCH/LOOKUP answers (handlers/page.ts), and
 * as parsed by the client (decode.ts). */
export const MAX_MEMO_PROVIDERS = 4_096
/** The client keeps a parsed provider only when its wire form is at most this long (decode.ts):
 * an answer may be 1 MiB, and the memo must stay small whatever a coordinator sends. */
export const MAX_MEMO_PROVIDER_BYTES = 4_096
/** A response is cut below the frame limit by this much, for the fields around the entries. */
export const RESPONSE_HEADROOM = 4 * 1024

/** Streams one connection may have open on the index protocol at a time. */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4
/** A stream with no complete request for this long is aborted. */
export const STREAM_IDLE_TIMEOUT = 30_000
/** Time to write a response (a peer that does not read must not hold the handler). */
export const RESPONSE_TIMEOUT = 10_000
/** Time for the error response to leave before a broken stream is closed. */
export const CLOSE_TIMEOUT = 2_000

/** Default deadline of one client call (dial + request + response). */
export const CLIENT_TIMEOUT = 15_000

/** Announcer: changes are collected this long before one delta is sent. */
export const ANNOUNCE_DEBOUNCE = 250
/** Announcer: reconnect backoff, doubling from the first to the cap. */
export const RECONNECT_INITIAL = 500
export const RECONNECT_MAX = 30_000
/** Announcer: an idle link sends an empty announce this often, below STREAM_IDLE_TIMEOUT. */
export const KEEPALIVE_INTERVAL = 15_000

/** Rows of an earlier snapshot are kept this long after a new one starts (so a snapshot in
 * progress re-stamps them instead of re-inserting), then collected. */
export const STALE_SETTLE = 30_000
/** Stale rows deleted per transaction by the collector (one short pause of the event loop). */
export const COLLECT_CHUNK = 2_000
