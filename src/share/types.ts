import type { FileIdentity } from './roots.js'
import type { CID } from 'multiformats/cid'
import type { Manifest } from '../wire/file-manifest.js'
import type { ShareWatcherOptions } from './watcher.js'

/** One file this node shares. `name` is what the network sees ('/'-separated, relative). */
export interface SharedFile {
  name: string
  /** Absolute path on disk; never sent to peers. */
  path: string
  /** The real path of the share root it was found under (see ServedFile.within). */
  within?: string
  size: number
  /** Shown to peers; not part of the change key. */
  mtimeMs: number
  /** The change key (FileKey): what the scan found inside the share, checked on every open. */
  ctimeMs: number
  ino: number
  dev: number
  fileId: CID
  manifest: Manifest
}

/** What the chunk server needs from the share index: files by id, and a way to report one
 * that changed on disk behind the index's back. */
export interface ShareSource {
  getByFileId (fileId: CID): SharedFile | undefined
  /** Re-hash a file found changed on disk; the index updates and announces the result. */
  revalidate (file: SharedFile): void
}

/** A change to the set of shared files, as sent to the coordinator. */
export interface ShareDelta {
  added: SharedFile[]
  removed: string[]
}

/** How the share is watched: inotify & co, or stat polling when native watches ran out. */
export type WatchMode = 'native' | 'polling'

export interface ShareStats {
  files: number
  bytes: number
  /** Files hashed since start (cache misses). */
  hashed: number
  /** Files whose manifest came from the hash cache. */
  cached: number
  hashedBytes: number
  /** Files waiting for or being hashed. */
  hashing: number
  /** Duration of the initial scan, hashing included; 0 until it is done (a restart shares what
   * its hash cache knew and scans after it answers). */
  scanMs: number
  watching: WatchMode | 'off'
  lastError?: string
}

export interface RootInfo {
  path: string
  name: string
  kind: 'dir' | 'file'
  files: number
  bytes: number
}

export interface ShareIndexEvents {
  /** What was added or removed since the last event; removals apply first, an added name
   * replaces any earlier file of that name. Not sent for the initial scan (read files()), except
   * for what it corrects after a start that shared the hash cache's files first (cachedFirst). */
  change: CustomEvent<ShareDelta>
  /** A one-line problem worth showing the user (e.g. watching fell back to polling). */
  warning: CustomEvent<string>
}

export interface ShareRootInit {
  path: string
  /** Name prefix of its files. Default: '' (names relative to it) for the first root, the share
   * folder; the folder's or file's basename for the others (`photos/x.jpg`, `report.pdf`). */
  name?: string
  /** A seed: shared only while the path holds this file (device and inode); see ShareIndex.addSeeds. */
  expect?: FileIdentity
}

/** A file this node wrote (a finished download), to share under `name`. */
export interface Seed {
  path: string
  name: string
  /** The file the download left at `path`. */
  identity: FileIdentity
  /** Its verified manifest: a seed is not hashed again. */
  manifest: Manifest
}

export interface ShareIndexOptions {
  /** Holds the hash cache (`hashes.db`). */
  dataDir: string
  roots: ShareRootInit[]
  /** Paths never shared, besides `dataDir` (which holds the node's key). */
  exclude?: string[]
  /** Large files hashed at once. */
  hashConcurrency?: number
  /** Watcher timings (tests shorten them); `false` turns watching off. */
  watch?: false | Omit<ShareWatcherOptions, 'onBatch' | 'onFallback'>
  /** Changes within this window go out as one delta. */
  flushMs?: number
  /** Called when the index reaches MANY_FILES files (a daemon then favours memory). */
  onManyFiles?: () => void
}
