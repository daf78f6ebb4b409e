/** Every metric's name starts with this. */
export const METRIC_PREFIX = 'fsnode_'
/** Download durations, in seconds: from a small file on a LAN to a large one over the internet. */
export const DOWNLOAD_DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200]
/** Index request durations, in seconds: a SQLite lookup is sub-millisecond, a big page a few ms. */
export const QUERY_DURATION_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]
