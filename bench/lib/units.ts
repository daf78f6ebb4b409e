/** Sizes and rates. Throughput is reported in MB/s (10^6 bytes per second), as in the notes. */
export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB
export const MB = 1_000_000

/** Bytes moved in `seconds`, as MB/s. */
export function mbps (bytes: number, seconds: number): number {
  return bytes / MB / seconds
}

export function formatSize (bytes: number): string {
  if (bytes >= GiB) return `${+(bytes / GiB).toFixed(2)} GiB`
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(2)} MiB`
  if (bytes >= KiB) return `${+(bytes / KiB).toFixed(2)} KiB`
  return `${bytes} B`
}
