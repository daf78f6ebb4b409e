/** Shapes of the IndexStore's API. */

export interface StoreEntry {
  name: string
  fileId: Uint8Array
  size: number
  mtime: number
}

export interface ListedEntry extends StoreEntry {
  peerId: string
}

export interface ProviderInfo {
  peerId: string
  addrs: string[]
  online: boolean
}

export interface Page {
  entries: ListedEntry[]
  /** Set when there is more. */
  nextCursor?: string
  /** The cursor that continues right after entries[i] (for a caller that sends fewer). */
  cursorAfter: (i: number) => string
}

export interface LookupGroup {
  fileId: Uint8Array
  name: string
  size: number
  providers: ProviderInfo[]
}

export interface AnnounceInput {
  /** Start a snapshot: everything announced before is hidden at once. */
  replace?: boolean
  entries: Iterable<StoreEntry>
  /** Replaces the provider's addresses when given. */
  addrs?: string[]
}
