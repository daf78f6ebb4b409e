import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_RUNS } from './profile.js'
import { now } from './time.js'
import type { BenchCase, CaseContext, RunResult } from './types.js'

export interface CaseOutcome {
  bench: BenchCase
  describe?: string
  runs: RunResult[]
  seconds: number
  error?: string
}

export function runsFor (bench: BenchCase, ctx: Pick<CaseContext, 'profile'>): number {
  const { profile } = ctx
  if (profile.runs != null) return profile.runs
  return profile.quick ? bench.runs?.quick ?? DEFAULT_RUNS.quick : bench.runs?.full ?? DEFAULT_RUNS.full
}

function oneLine (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n')[0].slice(0, 300)
}

/**
 * Prepare a case, run it the chosen number of times, close it. An error ends the case (runs
 * that finished are kept) and is recorded, never thrown: the next case still runs.
 */
export async function runCase (bench: BenchCase, base: Omit<CaseContext, 'tmp'>, tmpRoot: string): Promise<CaseOutcome> {
  const start = now()
  const tmp = await mkdtemp(join(tmpRoot, `${bench.name}-`))
  const outcome: CaseOutcome = { bench, runs: [], seconds: 0 }
  const ctx: CaseContext = { ...base, tmp }
  const total = runsFor(bench, ctx)
  let runner
  try {
    runner = await bench.prepare(ctx)
    outcome.describe = runner.describe
    for (let i = 0; i < total; i++) {
      const t = now()
      const result = await runner.run(i)
      const shown = bench.metrics
        .filter(m => result.values[m.key] != null)
        .slice(0, 2)
        .map(m => `${m.label} ${result.values[m.key].toFixed(2)} ${m.unit}`)
        .join(', ')
      ctx.log(`  ${bench.name} run ${i + 1}/${total}: ${shown} (${((now() - t) / 1000).toFixed(1)} s)`)
      outcome.runs.push(result)
    }
  } catch (err) {
    outcome.error = oneLine(err)
    ctx.log(`  ${bench.name} failed: ${outcome.error}`)
  } finally {
    try {
      await runner?.close?.()
    } catch (err) {
      ctx.log(`  ${bench.name}: cleanup failed: ${oneLine(err)}`)
    }
    await base.discard(tmp)
  }
  outcome.seconds = (now() - start) / 1000
  return outcome
}
