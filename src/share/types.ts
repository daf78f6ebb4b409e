import type { CID } from 'multiformats/cid'
import type { Manifest } from './manifest.js'

/** One file this node shares. `name` is what the network sees ('/'-separated, relative). */
export interface SharedFile {
  name: string
  /** Absolute path on disk; never sent to peers. */
  path: string
  size: number
  mtimeMs: number
  ino: number
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
