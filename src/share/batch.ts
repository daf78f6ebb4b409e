import { dirname } from 'node:path'
import { isInside } from './scanner.js'

/**
 * The paths a watcher batch makes the index look at again: each changed path, the same path
 * through every followed symlink whose target holds it, shortest first, and none inside another
 * (a folder is reconciled instead of the paths under it).
 */
export function batchTargets (paths: Iterable<string>, aliases: ReadonlyMap<string, string>): string[] {
  const all = new Set<string>()
  for (const p of paths) {
    all.add(p)
    for (const [alias, target] of aliases) {
      if (isInside(target, p)) all.add(alias + p.slice(target.length))
    }
  }
  const done = new Set<string>()
  const out: string[] = []
  for (const p of [...all].sort((a, b) => a.length - b.length)) {
    if (ancestors(p).some(a => done.has(a))) continue
    done.add(p)
    out.push(p)
  }
  return out
}

function ancestors (path: string): string[] {
  const out: string[] = []
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) out.push(p)
  return out
}
