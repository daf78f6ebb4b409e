import { packManifest, packedFileId, packedFileIdBytes, packedManifest } from '../wire/file-manifest.js'
import type { Manifest } from '../wire/file-manifest.js'
import { pathInside } from './roots.js'
import type { Root } from './roots.js'
import type { SharedFile } from './types.js'
import type { CID } from 'multiformats/cid'

/**
 * A shared file as the index keeps it: its manifest and file id packed in one buffer, made into
 * objects when read, and its path made from its root and name when asked for. Reads cost a
 * small decode (no hashing); what it saves is memory: ~600 bytes a file for the manifest, ~100
 * for the path, at 200,000 files most of what the share index held.
 */
export class IndexedFile implements SharedFile {
  private readonly packed: Uint8Array
  /** Only when the path is not the one made from root and name (see pathOf). */
  private readonly ownPath?: string

  constructor (
    readonly name: string,
    readonly root: Root,
    path: string,
    readonly size: number,
    readonly mtimeMs: number,
    readonly ctimeMs: number,
    readonly ino: number,
    readonly dev: number,
    manifest: Manifest
  ) {
    this.packed = packManifest(manifest)
    if (pathOf(root, name) !== path) this.ownPath = path
  }

  get path (): string {
    return this.ownPath ?? pathOf(this.root, this.name)
  }

  get within (): string {
    return this.root.real
  }

  get fileId (): CID {
    return packedFileId(this.packed)
  }

  get fileIdBytes (): Uint8Array {
    return packedFileIdBytes(this.packed)
  }

  get manifest (): Manifest {
    return packedManifest(this.packed)
  }
}

/** The path of `name` under `root`, as the scanner reaches it: the inverse of nameFor(). */
function pathOf (root: Root, name: string): string {
  if (root.kind === 'file') return root.real
  return pathInside(root.real, root.name === '' ? name : name.slice(root.name.length + 1))
}
