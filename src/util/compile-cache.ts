import { enableCompileCache as enable, constants } from 'node:module'
import { join } from 'node:path'
import envPaths from 'env-paths'

/**
 * V8's code cache for fsnode's ~1,000 modules, kept across runs (Node's module compile cache):
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
    const { status } = enable(dir)
    return status === constants.compileCacheStatus.ENABLED || status === constants.compileCacheStatus.ALREADY_ENABLED
  } catch {
    return false
  }
}
