/**
 * What the CLI can ask of a node: the daemon answers through the control socket, a
 * short-lived node answers in-process. Both sides use these shapes, which are also the `--json`
 * output of the commands.
 */

export interface ProviderInfo {
  peerId: string
  addrs: string[]
  online: boolean
}

export interface NetworkFile {
  name: string
  fileId: string
  size: number
  mtime: number
  providers: ProviderInfo[]
}

export interface StatusInfo {
  running: boolean
  peerId: string
  dataDir: string
  addrs: string[]
  /** How other nodes reach this one. */
  reachability?: Reachability
  coordinators: Array<{ addr: string, connected: boolean, lastAnnounceAt?: number, lastError?: string }>
  embeddedCoordinator: boolean
  /** Addresses of the embedded coordinator, for other machines' node.coordinators. */
  embeddedCoordinatorAddrs?: string[]
  /** Where GET /metrics is served, when it is. */
  apiUrl?: string
  /** The HTTP API: its base URL and the file holding its bearer token. */
  api?: { url: string, tokenFile: string }
  /** Bandwidth limits in force (bytes/s, 0 = none). */
  limits?: BandwidthLimits
  share?: {
    roots: string[]
    files: number
    bytes: number
    hashed: number
    cached: number
    hashedBytes: number
    hashing: number
    scanMs: number
    watching: string
    lastError?: string
  }
  /** Paths shared besides the share folder. */
  shares?: Array<{ path: string, name?: string, kind: string }>
  peers: number
  /** Open connections (at most MAX_STATUS_CONNECTIONS): relayed ones go through a relay. */
  connections?: PeerInfo[]
  /** The DHT: routing table size, provide upkeep and traffic counters. */
  dht?: Record<string, unknown>
  downloads: Array<{ fileId: string, name: string, bytesDone: number, bytesTotal: number }>
}

export interface Reachability {
  /** public: a public IPv4 address; relayed: through a coordinator's relay; lan: only from
   * its own network (no public address, no relay slot). */
  mode: 'public' | 'relayed' | 'lan'
  /** Direct addresses others on the internet can dial. */
  public: string[]
  /** Direct addresses only hosts on the same network (or machine) can dial. */
  local: string[]
  relays: Array<{ relay: string, reserved: boolean, addrs: string[], expires?: number, error?: string }>
}

export interface ProgressEvent {
  /** For folder downloads: the file this event is about. */
  name?: string
  bytesDone: number
  bytesTotal: number
  peers: number
  rate: number
  filesDone?: number
  filesTotal?: number
}

export interface GetFileResult {
  fileId: string
  name: string
  size: number
  path: string
  seconds: number
  bytesPerSecond: number
  providers: string[]
  resumedChunks?: number
  /** Copied from a file this node shares itself (no peer involved). */
  fromLocalShare?: boolean
  /** Chunks of the file, and how many of them each peer sent in this run (resumed ones excluded). */
  chunks?: number
  chunksFromPeer?: Record<string, number>
}

export interface GetResult extends GetFileResult {
  /** Set for a folder download: every file fetched. */
  files?: GetFileResult[]
}

/** Every NodeApi method takes one: aborting it cancels the work (a closed control connection,
 * an HTTP client gone, a timeout). */
export interface CallOptions {
  signal?: AbortSignal
}

export interface GetOptions extends CallOptions {
  out?: string
  onProgress?: (e: ProgressEvent) => void
  /** Told the file's name and id once they are known: at once for a name, from the index for a
   * file id, or from the provider's manifest for a file id found on the DHT alone. */
  onResolved?: (file: { name: string, fileId: string }) => void
}

export interface LimitChange {
  upload?: number
  download?: number
  /** Each peer's own limits (within the node's). */
  perPeer?: { upload?: number, download?: number }
}

export interface BandwidthLimits {
  upload: number
  download: number
  limitLan: boolean
  /** Each peer's own limits; present only while one is set. */
  perPeer?: { upload: number, download: number }
}

export interface ShareChange {
  path: string
  files: number
}

/** A shared path: the share folder first, then what `fsnode share` added and seeded downloads. */
export interface ShareEntry {
  path: string
  name?: string
  kind: string
}

export interface PeerInfo {
  peerId: string
  addr: string
  direction: string
  relayed: boolean
}

/** A get running in the background in the daemon (POST /downloads, control method download). */
export interface Download {
  id: string
  target: string
  name: string
  fileId?: string
  state: 'running' | 'done' | 'failed' | 'cancelled'
  bytesDone: number
  bytesTotal: number
  /** Bytes per second. */
  rate: number
  peers: number
  etaSeconds?: number
  filesDone?: number
  filesTotal?: number
  /** ms since the epoch */
  startedAt: number
  endedAt?: number
  result?: GetResult
  error?: { code: string, message: string }
}

/** Where the browser UI logs in: a one-time code in a URL. */
export interface UiLogin {
  url: string
  code: string
  /** ms since the epoch */
  expiresAt: number
}

/** What every command needs of a node, daemon or short-lived. */
export interface NodeApi {
  status (options?: CallOptions): Promise<StatusInfo>
  ls (options?: { path?: string } & CallOptions): Promise<NetworkFile[]>
  search (text: string, options?: CallOptions): Promise<NetworkFile[]>
  get (target: string, options?: GetOptions): Promise<GetResult>
  share (path: string, options?: CallOptions): Promise<ShareChange>
  unshare (path: string, options?: CallOptions): Promise<ShareChange>
  /** Change the bandwidth limits (bytes/s, 0 = none) at runtime; what is not given stays.
   * Returns the limits now in force. Optional: only a node that moves bytes has limits. */
  limit?: (change: LimitChange, options?: CallOptions) => Promise<BandwidthLimits>
  close (): Promise<void>
}

/** What a running daemon also offers (the control socket and the HTTP API). */
export interface DaemonApi extends NodeApi {
  /** Start a get in the background; the same target and out while one runs gives that one. */
  download (target: string, options?: { out?: string } & CallOptions): Promise<Download>
  downloads (options?: CallOptions): Promise<Download[]>
  cancel (id: string, options?: CallOptions): Promise<Download>
  shares (options?: CallOptions): Promise<ShareEntry[]>
  peers (options?: CallOptions): Promise<PeerInfo[]>
  limits (options?: CallOptions): Promise<BandwidthLimits>
  limit (change: LimitChange, options?: CallOptions): Promise<BandwidthLimits>
  uiLogin (options?: CallOptions): Promise<UiLogin>
}
