import { UsageError } from './args.js'
import type { BenchCase } from './types.js'

export interface Selection {
  cases: BenchCase[]
  /** Cases added because a selected case is compared with them. */
  added: string[]
}

/**
 * The cases to run, in registry order: all of them (in a quick run, those not marked
 * `quick: false`), or those `only` names (by name or alias) plus the cases they need for their
 * ratios.
 */
export function selectCases (all: BenchCase[], only?: string[], options: { quick?: boolean } = {}): Selection {
  if (only == null || only.length === 0) return { cases: options.quick === true ? all.filter(c => c.quick !== false) : all, added: [] }
  const byName = new Map<string, BenchCase>()
  for (const c of all) {
    for (const n of [c.name, ...(c.aliases ?? [])]) byName.set(n.toLowerCase(), c)
  }
  const chosen = new Set<BenchCase>()
  for (const n of only) {
    const c = byName.get(n.toLowerCase())
    if (c == null) throw new UsageError(`no case named ${JSON.stringify(n)}; cases: ${all.map(x => x.name).join(', ')}`)
    chosen.add(c)
  }
  const added: string[] = []
  for (const c of [...chosen]) {
    for (const need of c.needs ?? []) {
      const dep = byName.get(need)
      if (dep != null && !chosen.has(dep)) { chosen.add(dep); added.push(dep.name) }
    }
  }
  return { cases: all.filter(c => chosen.has(c)), added }
}
