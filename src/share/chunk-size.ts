import { MAX_CHUNK_SIZE } from '../wire/file-manifest.js'

/**
 * Chunk size by file size, chosen by measurement: `npm run bench -- --only chunk-size` fetches
 * 8 MiB, 64 MiB and 512 MiB files with 256 KiB, 1, 4 and 16 MiB chunks (two processes, 2 cores,
 * medians of 3). 8 MiB: 31-37 MB/s whatever the chunk size (per-get costs dominate), so small
 * files keep small chunks, which lets several peers share even a few MiB. 64 MiB: 1 MiB chunks
 * fastest (96 MB/s; 256 KiB 84, 4 MiB 78, 16 MiB 77). 512 MiB: 109, 124, 126 and 145 MB/s
 * with run-to-run spread of +-15%, but downloader peak RSS 134, 143, 174 and 206 MB: a chunk is
 * held whole until verified, once per stream. So 1 MiB up to 32 GiB, where the manifest reaches
 * its 1 MiB limit (32k hashes); larger chunks only beyond, to stay within it (a 512 GiB file has
 * 32k chunks of 16 MiB).
 */
export const CHUNK_SIZE_TABLE: ReadonlyArray<readonly [maxFileSize: number, chunkSize: number]> = [
  [16 * 1024 * 1024, 256 * 1024],
  [32 * 1024 * 1024 * 1024, 1024 * 1024],
  [128 * 1024 * 1024 * 1024, 4 * 1024 * 1024],
  [Number.POSITIVE_INFINITY, 16 * 1024 * 1024]
]

export function chunkSizeFor (fileSize: number): number {
  for (const [max, size] of CHUNK_SIZE_TABLE) {
    if (fileSize <= max) return size
  }
  return MAX_CHUNK_SIZE
}
