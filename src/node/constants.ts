/** Background downloads (POST /downloads) running at once in a daemon; more are refused (409). */
export const MAX_RUNNING_DOWNLOADS = 16
/** Finished downloads the registry remembers (most recent first); older ones are forgotten. */
export const MAX_FINISHED_DOWNLOADS = 100
/** A running download's event goes out at most this often (the contract's ~4 per second). */
export const DOWNLOAD_EVENT_INTERVAL_MS = 250
/** Share and peer changes within this window go out as one event. */
export const NODE_EVENT_DEBOUNCE_MS = 250

/** Files of a folder get being seeded at once (each waits for the share index to settle). */
export const FOLDER_SEEDS_AT_ONCE = 8
