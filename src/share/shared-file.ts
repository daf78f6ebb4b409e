import { packManifest, packedFileId, packedFileIdBytes, packedManifest } from '../wire/file-manifest.js'
import type { Manifest } from '../wire/file-manifest.js'
import { pathInside } from './roots.js'
import type { Root } from './roots.js'
import type { SharedFile } from './types.js'
import type { CID } from 'multiformats/cid'
import { sep } from 'node:path'

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
    /** A Manifest, or its packManifest() bytes (a restart reads those from the hash cache). */
    manifest: Manifest | Uint8Array
  ) {
    this.packed = manifest instanceof Uint8Array ? manifest : packManifest(manifest)
    if (!isPathOf(root, name, path)) this.ownPath = path
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

/** pathOf(root, name) === path, without making the string (once per file on a restart). */
function isPathOf (root: Root, name: string, path: string): boolean {
  if (root.kind === 'file' || sep !== '/') return pathOf(root, name) === path
  const rel = root.name === '' ? name : name.slice(root.name.length + 1)
  if (rel === '') return path === root.real
  const base = root.real.endsWith(sep) ? root.real.length : root.real.length + 1
  return path.length === base + rel.length && path.startsWith(root.real) && (base === root.real.length || path[root.real.length] === sep) && path.endsWith(rel)
}

/** The path of `name` under `root`, as the scanner reaches it: the inverse of nameFor(). */
function pathOf (root: Root, name: string): string {
  if (root.kind === 'file') return root.real
  return pathInside(root.real, root.name === '' ? name : name.slice(root.name.length + 1))
}
