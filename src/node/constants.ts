/** Background downloads (POST /downloads) running at once in a daemon; more are refused (409). */
export const MAX_RUNNING_DOWNLOADS = 16
/** Finished downloads the registry remembers (most recent first); older ones are forgotten. */
export const MAX_FINISHED_DOWNLOADS = 100
/** A running download's event goes out at most this often (the contract's ~4 per second). */
export const DOWNLOAD_EVENT_INTERVAL_MS = 250
/** Share and peer changes within this window go out as one event. */
export const NODE_EVENT_DEBOUNCE_MS = 250

/** A folder get hands its finished small files to the seeder this many at a time: one share
 * index update, one delta to the coordinators and one shares.json write per group. */
export const FOLDER_SEED_GROUP = 250
