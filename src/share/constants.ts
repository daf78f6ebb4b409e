/** Defaults of the share layer. Each is a named constant so callers and tests can see and
 * override them (most are options of the class that uses them). */

/** Bytes read from disk per read while hashing. Large reads keep syscalls and promise overhead
 * small against the hashing itself (~4 ms of sha256 per 4 MiB read). */
export const HASH_READ_SIZE = 4 * 1024 * 1024
/** Files hashed at once. Hashing runs on the main thread, so more buys little beyond overlapping
 * one file's I/O with another's hashing. */
export const HASH_CONCURRENCY = 2
/** Up to this size a file costs a few syscalls more than hashing: such files get their own,
 * wider lane so thousands of small files do not wait behind two large ones. */
export const SMALL_FILE_SIZE = 1024 * 1024
export const SMALL_HASH_CONCURRENCY = 4
/** Files waiting for a hash before a scan stops producing more (bounded memory on huge shares). */
export const HASH_QUEUE_HIGH = 512

/** Directories read at once by the scanner. */
export const SCAN_DIR_CONCURRENCY = 8
/** lstat/realpath calls in flight at once by the scanner (folders, links: plain files are
 * stat'ed synchronously, see scan()). */
export const SCAN_STAT_CONCURRENCY = 64
/** Synchronous stats of plain files between two turns of the event loop (~2-5 ms of them). */
export const SCAN_SYNC_STATS = 1000

/** lstat calls in flight at once while the watcher's first walk checks files against the index. */
export const DIR_WATCH_STAT_CONCURRENCY = 64

/** A file must keep the same size this long before the watcher reports it. */
export const WRITE_STABILITY_MS = 500
/** How often a file being written is re-checked for stability. */
export const WRITE_POLL_MS = 100
/** Quiet time after the last filesystem event before a batch of changed paths is handed on. */
export const WATCH_DEBOUNCE_MS = 300
/** Longest a batch is held back while events keep coming (a busy folder still gets updates). */
export const WATCH_MAX_WAIT_MS = 3000
/** Poll interval when native watching is not possible (inotify limits, odd filesystems). */
export const WATCH_POLL_INTERVAL_MS = 3000

/** Changes made within this window are sent as one delta. */
export const DELTA_FLUSH_MS = 100

/** Hash cache rows written per transaction, and how long a row may wait for one: one commit per
 * file costs more than hashing a small file. A crash loses at most these (re-hashed next time). */
export const CACHE_WRITE_BATCH = 500
export const CACHE_WRITE_DELAY_MS = 500

/** Folders whose hash cache rows a scan keeps in memory at once (it reads SCAN_DIR_CONCURRENCY
 * folders at a time; see HashCache.preload()). */
export const CACHE_FOLDER_WINDOWS = 32

/** Slab of shared files' records (see IndexedFile): ~100 files of a small manifest each. Node's
 * buffer pool is the same size, and a slab is freed when none of its files is shared. */
export const RECORD_SLAB_BYTES = 8192

/** Hash cache rows a restart reads per call into SQLite (see HashCache.entries(): small pages
 * cost less garbage collection). */
export const ENTRIES_PAGE = 100

/** A share this large calls ShareIndexOptions.onManyFiles: its per-file memory is most of the
 * node's. */
export const MANY_FILES = 50_000

/** Hash cache file inside the data dir. */
export const HASH_DB_FILE = 'hashes.db'
/** Names the node uses for its own files (downloads in progress live in `.fsnode-partial/`);
 * anything starting with this is never shared or watched. */
export const INTERNAL_PREFIX = '.fsnode-'
