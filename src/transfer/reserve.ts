/**
 * Which of a download's active peers are fetched from; the others are held in reserve: no new
 * requests, their connections kept (focus.ts decides how many, focus-timer.ts which). Ended
 * when a request fails or a peer in use leaves, so that no chunk ever waits for a peer in
 * reserve. Pure: no I/O, no timers; `onChange` tells whoever waits for the set to change.
 */
export class PeerReserve {
  private inUse?: Set<string>

  /** @param active the peers that can still serve the download, in reserve or not */
  constructor (private readonly active: () => ReadonlySet<string>, private readonly onChange?: () => void) {}

  /** Fetch from these peers only; every active peer when undefined, when none of them is
   * active, or when they are all of them. */
  focus (peers?: Iterable<string>): void {
    const active = this.active()
    const set = peers == null ? undefined : new Set([...peers].filter(p => active.has(p)))
    this.set(set == null || set.size === 0 || set.size >= active.size ? undefined : set)
  }

  /** The peers fetched from while some are in reserve; undefined when all are. */
  get focused (): readonly string[] | undefined {
    return this.inUse == null ? undefined : [...this.inUse]
  }

  /** True for a peer held in reserve: it gets no request until the focus changes. */
  holds (peer: string): boolean {
    return this.inUse != null && !this.inUse.has(peer)
  }

  /** A request failed: every peer again, so that the reserve can help. */
  end (): void {
    this.set(undefined)
  }

  /** `peer` is no longer active. One in use leaving ends the focus (the reserve takes over);
   * one in reserve (a stale provider that cannot be dialled) changes nothing for the others. */
  left (peer: string): void {
    if (this.inUse == null) return
    if (this.inUse.has(peer) || this.inUse.size >= this.active().size) this.set(undefined)
  }

  private set (set: Set<string> | undefined): void {
    if (set === this.inUse) return
    this.inUse = set
    this.onChange?.()
  }
}
