import { enableCompileCache as enable, constants } from 'node:module'
import { readdirSync, renameSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import envPaths from 'env-paths'

/** Files the compile cache may hold before it is dropped whole (Node keeps one per file content
 * and never removes one: a build of the CLI's bundle adds ~25, an upgrade of Node a folder). */
export const COMPILE_CACHE_MAX_FILES = 4_096

/**
 * V8's code cache for the CLI's bundle (and the few modules outside it), kept across runs
 * (Node's module compile cache):
 * a start skips parsing and compiling what an earlier start compiled. Per user (the user's cache
 * folder, not a shared temp dir another user could fill), keyed by Node on each file's contents.
 * NODE_COMPILE_CACHE picks another folder and NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node's
 * own variables). Never fatal: a folder that cannot be made or written leaves the cache off.
 */
export function compileCacheDir (): string {
  return process.env.NODE_COMPILE_CACHE ?? join(envPaths('fsnode', { suffix: '' }).cache, 'compile-cache')
}

/** Turn the cache on; true when it is on. Call before importing the rest of the program. */
export function enableCompileCache (dir = compileCacheDir()): boolean {
  try {
    // only fsnode's own folder: one named by NODE_COMPILE_CACHE may be another program's too
    if (process.env.NODE_COMPILE_CACHE == null) pruneCompileCache(dir)
  } catch {
    // a cache that cannot be counted or moved is used as it is
  }
  try {
    const { status } = enable(dir)
    return status === constants.compileCacheStatus.ENABLED || status === constants.compileCacheStatus.ALREADY_ENABLED
  } catch {
    return false
  }
}

/**
 * Drop the cache folder when it holds more than `maxFiles` files, so it cannot grow with every
 * build and upgrade; Node fills it again. Renamed first (one call), then removed in the
 * background, as is a dropped folder an earlier process did not finish removing. Also removes
 * resolve-cache.json beside it (written by fsnode before the CLI was bundled). Counting reads
 * the names in Node's version folders only: a few dozen for a bundle.
 */
export function pruneCompileCache (dir: string, maxFiles = COMPILE_CACHE_MAX_FILES): boolean {
  const parent = dirname(dir)
  const dropped = `${basename(dir)}.old-`
  for (const name of namesIn(parent)) {
    if (name === 'resolve-cache.json') rmSync(join(parent, name), { force: true })
    else if (name.startsWith(dropped)) removeLater(join(parent, name))
  }
  let files = 0
  for (const version of namesIn(dir)) files += namesIn(join(dir, version)).length
  if (files <= maxFiles) return false
  const trash = join(parent, dropped + String(process.pid))
  renameSync(dir, trash)
  removeLater(trash)
  return true
}

function removeLater (path: string): void {
  rm(path, { recursive: true, force: true }).catch(() => {})
}

/** The names in a folder; none when it does not exist (yet) or is not a folder. */
function namesIn (dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err: any) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return []
    throw err
  }
}
