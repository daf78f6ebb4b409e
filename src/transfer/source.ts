import type { CID } from 'multiformats/cid'
import type { FileKey } from '../util/file-key.js'
import type { Manifest } from '../wire/file-manifest.js'

/**
 * A file this node serves or copies, as transfer needs it: where it is, what it was when
 * indexed (the change key, checked on every open) and its manifest. The share index's
 * SharedFile has these fields; transfer does not import share.
 */
export interface ServedFile extends FileKey {
  /** '/'-separated name the network sees; its last segment is sent with the manifest. */
  name: string
  /** Absolute path on disk; never sent to peers. */
  path: string
  /** The real path of the share root the file was found under: an opened file must lie there
   * (checked by the handle where the system can tell, see openedInside). */
  within?: string
  fileId: CID
  manifest: Manifest
}

/** What the chunk server needs of the share index: files by id, and a way to report one
 * that changed on disk behind the index's back. The share index satisfies it. */
export interface FileSource {
  getByFileId (fileId: CID): ServedFile | undefined
  /** Re-hash a file found changed on disk; the index updates and announces the result. */
  revalidate (file: ServedFile): void
}
