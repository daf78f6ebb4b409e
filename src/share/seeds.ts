import { lstatSync } from 'node:fs'
import { lstat, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { ShareFolderError } from './errors.js'
import type { FileIdentity, Root } from './roots.js'
import type { ScannedFile } from './scanner.js'
import type { Seed } from './types.js'
import type { Manifest } from '../wire/file-manifest.js'

const log = logger('fsnode:share')

/**
 * Seeds: files this node wrote (finished downloads), each shared as a root of its own only while
 * its path holds the very file written (device and inode: checked when it is added, by the scan
 * at every later change, and after a restart). A file swapped for another, or for a link to a
 * private one, is never served.
 */

/** What adding a seed needs of the share index: its roots and names, and placing the file. */
export interface SeedTarget {
  /** The root added with this path or real path (a seed downloaded again replaces it). */
  find: (path: string, real: string) => Root | undefined
  dropRoot: (root: Root) => void
  /** Adds the root; throws ShareFolderError when it overlaps one, or its name is used. */
  addRoot: (root: Root) => void
  removeRoot: (root: Root) => void
  /** The path of the file shared under `name`, if any. */
  takenBy: (name: string) => string | undefined
  /** Share the checked file under its root's name, its manifest recorded in the hash cache. */
  share: (root: Root, found: ScannedFile, manifest: Manifest) => void
}

/** Seeds resolved to roots: those shared as roots of their own, and those under a shared folder
 * (left to the watcher, their manifests to be remembered). */
export interface ResolvedSeeds {
  own: Array<{ root: Root, manifest: Manifest }>
  underFolder: Array<{ root: Root, manifest: Manifest }>
}

/** Each seed as a root (a seed that cannot be resolved is left out, logged); `underFolder(path)`
 * says when a shared folder already holds it. */
export async function resolveSeeds (seeds: Seed[], underFolder: (path: string) => boolean): Promise<ResolvedSeeds> {
  const dirs = new Map<string, Promise<string>>()
  const out: ResolvedSeeds = { own: [], underFolder: [] }
  for (const s of seeds) {
    try {
      const root = await seedRoot(s.path, s.name, s.identity, dirs)
      if (!underFolder(root.path)) out.own.push({ root, manifest: s.manifest })
      else if (seedFile(root) != null) out.underFolder.push({ root, manifest: s.manifest })
    } catch (err: any) {
      log('not seeding %s: %s', s.path, err.message)
    }
  }
  return out
}

/** One seed, synchronously (in the index's update queue: nothing comes between the check of the
 * file and its entry). False when it is not shared (not the file written, or its name taken). */
export function addSeed (root: Root, manifest: Manifest, target: SeedTarget): boolean {
  const found = seedFile(root)
  if (found?.size !== manifest.size) {
    log('not seeding %s: it is no longer the file the download left there', root.path)
    return false
  }
  // the same path downloaded again: the new file replaces the old seed
  const old = target.find(root.path, root.real)
  if (old?.expect != null) target.dropRoot(old)
  try {
    target.addRoot(root)
  } catch (err: any) {
    log('not seeding %s: %s', root.path, err.message)
    return false
  }
  const taken = target.takenBy(root.name)
  if (taken != null) {
    log('not seeding %s: the name %s is taken by %s', root.path, root.name, taken)
    target.removeRoot(root)
    return false
  }
  target.share(root, found, manifest)
  return true
}

/** The identity rule: true when `root` is a seed and `f` (what a scan found at its path) is not
 * the file written there. */
export function notTheSeed (root: Root, f: FileIdentity): boolean {
  return root.expect != null && (f.ino !== root.expect.ino || f.dev !== root.expect.dev)
}

/** A file this node wrote, as a root of its own shared under `name` while it is `expect`. The
 * folders on its path are resolved (the output folder may be reached through a link, the user's
 * choice), once per folder in `dirs`; the file itself is not: the scan finds what it is. */
export async function seedRoot (path: string, name: string, expect: FileIdentity, dirs = new Map<string, Promise<string>>()): Promise<Root> {
  const abs = resolve(path)
  const dir = dirname(abs)
  let realDir = dirs.get(dir)
  if (realDir == null) dirs.set(dir, realDir = realpath(dir))
  const real = join(await realDir, basename(abs))
  return { path: abs, real, name: shareName(name, abs), kind: 'file', expect }
}

/** A seed kept across a restart: refused (ShareFolderError) when its path no longer holds the
 * file written there. */
export async function restoredSeed (path: string, name: string, expect: FileIdentity): Promise<Root> {
  const root = await seedRoot(path, name, expect)
  const st = await lstat(root.real).catch(() => undefined)
  if (st == null || !st.isFile() || notTheSeed(root, st)) {
    throw new ShareFolderError(`${root.path} is no longer the file downloaded there`)
  }
  return root
}

/** What a seed's path holds now, when it is still the regular file written there. */
export function seedFile (root: Root): ScannedFile | undefined {
  let st
  try {
    st = lstatSync(root.real, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
  if (st == null || !st.isFile() || root.expect == null || notTheSeed(root, st)) return undefined
  return { name: '', path: root.real, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev }
}

function shareName (name: string, abs: string): string {
  const prefix = name.replace(/^\/+|\/+$/g, '')
  if (prefix.split('/').some(s => s === '..' || s === '.')) throw new ShareFolderError(`invalid share name ${JSON.stringify(name)}`)
  if (prefix === '') throw new ShareFolderError(`a shared file needs a name: ${abs}`)
  return prefix
}
