/** Bandwidth limits: token-bucket sizes and the pieces bytes are shaped in. */

/** Tokens a bucket holds at most, in seconds of its rate: how much may go out at once after a
 * quiet spell. Small, so a rate holds over seconds, not only on average. */
export const BURST_SECONDS = 0.1
/** ...but never less than this, so one send piece always fits a full bucket. */
export const MIN_BURST_BYTES = 16 * 1024
/** Bytes a limited stream sends or reads per token wait: small enough that a slow rate shared
 * by many streams still moves every stream well within the chunk timeout. */
export const LIMITED_PIECE_BYTES = 64 * 1024
/** Longest single timer a waiting take() sleeps before it looks again (rate changes wake it at
 * once anyway). */
export const MAX_WAIT_MS = 1_000
/** ...and no fewer than this, so a very low rate does not mean a send per few bytes. */
export const MIN_PIECE_BYTES = 4 * 1024
/** Peers whose per-peer buckets are kept at once (the least recently used are dropped). */
export const MAX_PEER_BUCKETS = 1024
