import { setFlagsFromString } from 'node:v8'

/**
 * Keep V8's young generation at its initial size (semi-space growth factor 1). By default it
 * grows to 64 MB under a transfer's allocation pattern (a stream of short-lived network
 * buffers); then it alone holds ~50 MB, and because the old generation's headroom is smaller
 * than the young generation, V8 starts a full mark-compact every few MB of traffic (~100 per
 * GiB). Measured on 1 GiB between two processes, 2 cores: a bare libp2p stream went from
 * 185-210 to 235-305 MB/s and its receiver's peak RSS from 195 to 105 MB; fsnode's provider
 * used half the CPU; indexing and restart did not change. Of the heap size flags this is the
 * one that still takes effect after startup, and it must be set then: given on the command line,
 * V8 raises a growth factor below 2 to 2 when it sets the heap up.
 *
 * Not for the standalone coordinator: a search answer allocates a few hundred KB of short-lived
 * objects, so a 2 MB young generation means a scavenge per query, each copying the answer being
 * built (100,000 entries, 100 peers connected: 500-hit search p50 14 ms tuned, 9 ms untuned).
 */
export const HEAP_FLAGS = ['--semi-space-growth-factor=1', '--no-incremental-marking']

/*
 * Why --no-incremental-marking: a transfer allocates network buffers at hundreds of MB/s, and
 * their memory outside the heap starts a full collection every few tens of MB. Incremental
 * marking spreads each over many steps plus V8's concurrent marking threads, and every buffer
 * allocated meanwhile is kept alive until the next one: on two shared cores the marking threads
 * fight the transfer for CPU and the cycles run back to back. Marking the small heap (~40 MB)
 * in one pause instead, 1 GiB gets, back to back pairs (`npm run bench -- --only one,three`,
 * load 3.5-7): three providers' CPU 9.5-10.4 -> 5.2 s, the downloader's 9.8-10.3 -> 7.5 s, its
 * peak RSS 185-193 -> 174 MB (one provider) and 220-227 -> 202-204 MB (three).
 * --no-parallel-scavenge and --no-concurrent-sweeping made no difference.
 */

/**
 * V8's --optimize-for-size, for a process holding a large share: the heap grows less before a
 * full collection and gives memory back sooner. A share index of 200,000 files, scanned from
 * its hash cache: RSS 333 -> 210 MB, peak 343 -> 215 MB, for the same live heap (90 MB) and
 * the same scan time. V8 reads it at each collection, so it can be set once the share turns out
 * large; it is not set for every process because its cost to the transfers' CPU is unmeasured.
 */
export const LARGE_HEAP_FLAGS = ['--optimize-for-size', '--incremental-marking']

/*
 * And incremental marking back on for such a heap: without it V8 lets the heap reach its limit
 * and then marks ~100 MB in one pause; with it marking starts earlier and the heap stays
 * smaller. 200,000 files, `npm run bench -- --only big`: restart peak RSS 274-280 -> 262-264 MB,
 * settled 263-271 -> 226-235 MB, first index 314 -> 273 MB.
 */

export function favourMemory (): void {
  for (const flag of LARGE_HEAP_FLAGS) setFlagsFromString(flag)
}

/** Apply HEAP_FLAGS; call first thing in a process (bin/fsnode.js, bench scripts). */
export function tuneHeap (): void {
  for (const flag of HEAP_FLAGS) setFlagsFromString(flag)
}
