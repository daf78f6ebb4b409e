import { registerHooks } from 'node:module'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import envPaths from 'env-paths'
import type { ResolveHookContext, ResolveFnOutput } from 'node:module'

/** Layout of the file; another one is ignored (and replaced). */
const FORMAT = 1
/** The cache is saved this long after a start (a daemon's start-up imports are done by then),
 * and at exit, when it learned anything. */
export const RESOLVE_CACHE_SAVE_MS = 10_000

/** Where an import resolved to: its URL and the format Node found for it. */
type Resolved = [url: string, format: string | null]

interface CacheFile {
  format: number
  node: string
  /** package.json (or npm's lock file) path → its mtime and size when the entries were made. */
  stamps: Record<string, [mtimeMs: number, size: number]>
  /** parent URL → (specifier and conditions → where it resolved). */
  entries: Record<string, Record<string, Resolved>>
}

export function resolveCachePath (): string {
  return join(envPaths('fsnode', { suffix: '' }).cache, 'resolve-cache.json')
}

/** The package folder a file URL lies in (node_modules/<name> or node_modules/@scope/<name>). */
function packageDir (url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined
  const m = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(fileURLToPath(url))
  return m?.[1]
}

function stampOf (path: string): [number, number] | undefined {
  const st = statSync(path, { throwIfNoEntry: false })
  return st == null ? undefined : [st.mtimeMs, st.size]
}

/** The cache in `file` when every package it relied on is as it was, else an empty one. */
function load (file: string): CacheFile {
  const empty: CacheFile = { format: FORMAT, node: process.version, stamps: {}, entries: {} }
  let cache: CacheFile
  try {
    cache = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return empty
  }
  if (cache?.format !== FORMAT || cache.node !== process.version || cache.stamps == null || cache.entries == null) return empty
  for (const [path, [mtimeMs, size]] of Object.entries(cache.stamps)) {
    const now = stampOf(path)
    if (now?.[0] !== mtimeMs || now[1] !== size) return empty
  }
  return cache
}

/**
 * Where each import of the program resolved, kept across runs: a start skips Node's resolution
 * (package.json lookups, exports maps, realpath; measured: importing the node's ~1,000 modules
 * took 0.60 CPU-s, 0.30 with this). An entry is only trusted while the package.json files of
 * the importing and the imported package, and npm's lock file in node_modules, have the mtime
 * and size they had when it was made (an npm install or update drops the whole cache), and while
 * the file it names exists. Relative imports inside a package resolve the same way whatever is
 * installed. Never fatal: a cache that cannot be read or written is ignored. NODE_DISABLE_COMPILE_CACHE=1 turns it off with Node's
 * compile cache.
 */
export function enableResolveCache (file = resolveCachePath()): boolean {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1' || typeof registerHooks !== 'function') return false
  const cache = load(file)
  /** Files seen to exist in this run. */
  const present = new Set<string>()
  let learned = false
  const stamp = (url: string): void => {
    const dir = packageDir(url)
    if (dir == null) return
    // npm rewrites the lock file in the top node_modules on every install
    const top = dir.slice(0, dir.indexOf('/node_modules/') + '/node_modules'.length)
    for (const path of [join(dir, 'package.json'), join(top, '.package-lock.json')]) {
      if (cache.stamps[path] != null) continue
      const s = stampOf(path)
      if (s != null) cache.stamps[path] = s
    }
  }
  registerHooks({
    resolve (specifier: string, context: ResolveHookContext, next): ResolveFnOutput {
      const parent = context.parentURL
      if (parent == null || specifier.startsWith('node:')) return next(specifier, context)
      const key = `${specifier}\n${context.conditions?.join(',') ?? ''}`
      const hit = cache.entries[parent]?.[key]
      // a file gone all the same (removed by hand) is resolved again: a stat per file, ~1,000
      if (hit != null && (present.has(hit[0]) || (existsSync(fileURLToPath(hit[0])) && present.add(hit[0]) != null))) {
        return { url: hit[0], format: hit[1] ?? undefined, shortCircuit: true }
      }
      const r = next(specifier, context)
      if (r.url.startsWith('file:')) {
        stamp(parent)
        stamp(r.url)
        ;(cache.entries[parent] ??= {})[key] = [r.url, r.format ?? null]
        learned = true
      }
      return r
    }
  })
  const save = (): void => {
    if (!learned) return
    learned = false
    try {
      mkdirSync(dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, JSON.stringify(cache))
      renameSync(tmp, file)
    } catch {}
  }
  setTimeout(save, RESOLVE_CACHE_SAVE_MS).unref()
  process.once('exit', save)
  return true
}
