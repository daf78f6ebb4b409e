import { realpath, stat } from 'node:fs/promises'
import { basename, resolve, sep } from 'node:path'
import { ShareFolderError } from './errors.js'
import { isInside } from './scanner.js'

/** A folder or a single file whose contents are shared under one name prefix. */
export interface Root {
  /** The path as given, made absolute. */
  path: string
  /** Its real path: what is walked and watched, and what symlinks must stay inside. */
  real: string
  /** Prefix of the names of its files ('' for the share folder); for a file, the file's name. */
  name: string
  kind: 'dir' | 'file'
  /** A seed (a file this node wrote): shared only while its path holds this very file. */
  expect?: FileIdentity
}

/** A file's device and inode: which file a path holds. */
export interface FileIdentity {
  dev: number
  ino: number
}

export async function resolveRoot (path: string, name: string | undefined): Promise<Root> {
  const abs = resolve(path)
  let real: string
  let kind: Root['kind']
  try {
    real = await realpath(abs)
    const st = await stat(real)
    if (st.isDirectory()) kind = 'dir'
    else if (st.isFile()) kind = 'file'
    else throw new ShareFolderError(`cannot share ${abs}: not a folder or a regular file`)
  } catch (err: any) {
    if (err instanceof ShareFolderError) throw err
    throw new ShareFolderError(`cannot share ${abs}: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}`)
  }
  const prefix = (name ?? basename(abs)).replace(/^\/+|\/+$/g, '')
  if (prefix.split('/').some(s => s === '..' || s === '.')) throw new ShareFolderError(`invalid share name ${JSON.stringify(name)}`)
  if (kind === 'file' && prefix === '') throw new ShareFolderError(`a shared file needs a name: ${abs}`)
  return { path: abs, real, name: prefix, kind }
}

/** `prefix/rel`, leaving out empty parts. */
export function joinName (prefix: string, rel: string): string {
  if (prefix === '') return rel
  if (rel === '') return prefix
  return `${prefix}/${rel}`
}

/** True when `name` is `dir` or inside it ('' contains everything). */
export function isUnderName (name: string, dir: string): boolean {
  return dir === '' || name === dir || name.startsWith(dir + '/')
}

/** The shared name of an absolute path under a root, or undefined when it is not under it. */
export function nameFor (root: Root, path: string): string | undefined {
  if (!isInside(root.real, path)) return undefined
  if (root.kind === 'file') return path === root.real ? root.name : undefined
  return joinName(root.name, relativeInside(root.real, path))
}

/**
 * `path` relative to `dir`, '/'-separated, for a normalized absolute path at or under it (see
 * isInside): a slice, where path.relative() resolved both paths again (2 s of CPU for a restart
 * over 200,000 files, with the path the index makes back from each name).
 */
export function relativeInside (dir: string, path: string): string {
  if (path === dir) return ''
  const rel = path.slice(dir.endsWith(sep) ? dir.length : dir.length + 1)
  return sep === '/' ? rel : rel.split(sep).join('/')
}

/** The absolute path of a '/'-separated relative name under `dir`: the inverse of relativeInside(). */
export function pathInside (dir: string, rel: string): string {
  if (rel === '') return dir
  const native = sep === '/' ? rel : rel.split('/').join(sep)
  return dir.endsWith(sep) ? dir + native : dir + sep + native
}

/** Every ancestor directory name of a name, '' included ('a/b/c' → 'a/b', 'a', ''). */
export function * parentNames (name: string): Generator<string> {
  let i = name.lastIndexOf('/')
  while (i > 0) {
    yield name.slice(0, i)
    i = name.lastIndexOf('/', i - 1)
  }
  yield ''
}

/**
 * The share's roots, found without a pass over them: a node seeding its downloads holds one
 * root per downloaded file, and a scan of every root per get (or per watcher event) made a get's
 * cost grow with the downloads before it. Folders are few; files are found by real path.
 */
export class RootSet {
  /** In the order added. */
  private readonly all = new Set<Root>()
  private readonly byReal = new Map<string, Root>()
  private readonly byPath = new Map<string, Root>()
  private readonly byName = new Map<string, Root>()
  private readonly dirs = new Set<Root>()

  get size (): number {
    return this.all.size
  }

  [Symbol.iterator] (): IterableIterator<Root> {
    return this.all.values()
  }

  has (root: Root): boolean {
    return this.all.has(root)
  }

  folders (): IterableIterator<Root> {
    return this.dirs.values()
  }

  /** The root added with this path, or with this real path. */
  find (path: string, real: string): Root | undefined {
    return this.byPath.get(path) ?? this.byReal.get(real)
  }

  /** Throws ShareFolderError when `root` would share again what is shared, or reuse a name. */
  check (root: Root): void {
    const same = this.byReal.get(root.real)
    if (same != null) throw new ShareFolderError(`${root.path} is already shared`)
    for (const r of this.dirs) {
      if (isInside(r.real, root.real)) throw new ShareFolderError(`${root.path} is already shared, as ${nameFor(r, root.real) ?? r.name}`)
    }
    const named = this.byName.get(root.name)
    if (named != null) throw new ShareFolderError(`the name ${JSON.stringify(root.name)} is already used by ${named.path}; give another name`)
  }

  add (root: Root): void {
    this.check(root)
    this.all.add(root)
    this.byReal.set(root.real, root)
    this.byPath.set(root.path, root)
    this.byName.set(root.name, root)
    if (root.kind === 'dir') this.dirs.add(root)
  }

  delete (root: Root): void {
    if (!this.all.delete(root)) return
    if (this.byReal.get(root.real) === root) this.byReal.delete(root.real)
    if (this.byPath.get(root.path) === root) this.byPath.delete(root.path)
    if (this.byName.get(root.name) === root) this.byName.delete(root.name)
    this.dirs.delete(root)
  }

  /** The roots holding `path` (absolute, real): the file root of that path and the folders above it. */
  * containing (path: string): Generator<Root> {
    const file = this.byReal.get(path)
    if (file?.kind === 'file') yield file
    for (const r of this.dirs) if (isInside(r.real, path)) yield r
  }

  /** The first root containing() yields, without a generator (once per file on a restart). */
  first (path: string): Root | undefined {
    const file = this.byReal.get(path)
    if (file?.kind === 'file') return file
    for (const r of this.dirs) if (isInside(r.real, path)) return r
    return undefined
  }

  /** True when `path` is inside a shared folder (by the path the folder was added with). */
  underFolder (path: string): boolean {
    for (const r of this.dirs) if (isInside(r.path, path)) return true
    return false
  }
}
