/**
 * Bytes of chunks a download may have requested or waiting for the disk. A download's budget
 * has the node's as parent, so every download of a node draws on one shared bound too.
 */
export class ByteBudget {
  private usedBytes = 0
  private peakBytes = 0
  private readonly listeners = new Set<() => void>()

  constructor (readonly limit: number, private readonly parent?: ByteBudget) {}

  get used (): number {
    return this.usedBytes
  }

  /** The most ever used at once (tests check it against the limit). */
  get peak (): number {
    return this.peakBytes
  }

  /** True when `n` more bytes stay within this budget and every parent's. An empty budget
   * always lets one through, so a limit below the chunk size slows a download, never hangs it. */
  fits (n: number): boolean {
    return (this.usedBytes === 0 || this.usedBytes + n <= this.limit) && (this.parent?.fits(n) ?? true)
  }

  /** Count `n` bytes; the caller checked fits() (a chunk turning from requested into written
   * moves bytes without asking). */
  take (n: number): void {
    this.usedBytes += n
    this.peakBytes = Math.max(this.peakBytes, this.usedBytes)
    this.parent?.take(n)
  }

  give (n: number): void {
    this.usedBytes -= n
    this.parent?.give(n)
    for (const fn of this.listeners) fn()
  }

  /** Call `fn` whenever bytes are given back; returns the unsubscribe. */
  onFree (fn: () => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }
}
