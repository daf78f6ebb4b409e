// npm run bench -- [--quick] [--only CASE,...] [--runs N] [--out FILE] [--list]
// Runs every case (baselines first) several times, prints a table of medians and ranges with
// ratios to raw TCP and bare libp2p from the same run, and writes every figure as JSON.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { CASES } from './cases/index.js'
import { USAGE, UsageError, parseBenchArgs } from './lib/args.js'
import { machineInfo } from './lib/machine.js'
import { FULL, QUICK } from './lib/profile.js'
import { REPO_ROOT, stopAll } from './lib/proc.js'
import { caseReport, describeReferences, references, renderReport } from './lib/report.js'
import { runCase, runsFor } from './lib/runner.js'
import { selectCases } from './lib/select.js'
import { SharedData } from './lib/shared-data.js'
import { Trash } from './lib/trash.js'
import { now } from './lib/time.js'
import type { CaseOutcome } from './lib/runner.js'
import type { Profile } from './lib/types.js'

const MIN_NODE_MAJOR = 24
const EXIT_USAGE = 2
/** Issue 4: --quick finishes in under two minutes on two cores. */
const QUICK_BUDGET_S = 120

function log (line: string): void {
  process.stderr.write(line + '\n')
}

async function main (): Promise<number> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < MIN_NODE_MAJOR) {
    log(`bench: needs Node.js ${MIN_NODE_MAJOR}+ (this is ${process.version}); run it with npm run bench or npx node dist/bench/index.js`)
    return 1
  }
  let args
  try {
    args = parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    if (err instanceof UsageError) { log(`bench: ${err.message}\n${USAGE}`); return EXIT_USAGE }
    throw err
  }
  if (args.help) { process.stdout.write(USAGE + '\n'); return 0 }
  if (args.list) {
    for (const c of CASES) process.stdout.write(`${c.name.padEnd(16)} ${c.title}${c.aliases != null ? ` (also: ${c.aliases.join(', ')})` : ''}\n`)
    return 0
  }
  let selection
  try {
    selection = selectCases(CASES, args.only, { quick: args.quick })
  } catch (err) {
    if (err instanceof UsageError) { log(`bench: ${err.message}`); return EXIT_USAGE }
    throw err
  }

  const base = args.quick ? QUICK : FULL
  const profile: Profile = { ...base, smallFiles: args.smallFiles ?? base.smallFiles, bigShareFiles: args.bigShare ?? base.bigShareFiles, runs: args.runs }
  const started = now()
  const date = new Date().toISOString()
  const machine = machineInfo()
  const tmpRoot = await mkdtemp(join(tmpdir(), 'fsnode-bench-'))
  const shared = new SharedData(tmpRoot, log)
  const trash = new Trash(join(tmpRoot, 'trash'))
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) return
    interrupted = true
    log('bench: interrupted, stopping children and removing temp data')
    void stopAll().finally(async () => await rm(tmpRoot, { recursive: true, force: true }).finally(() => process.exit(130)))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  log(`bench: ${args.quick ? 'quick' : 'full'} run of ${selection.cases.map(c => c.name).join(', ')}` +
    (selection.added.length > 0 ? ` (${selection.added.join(', ')} added: the ratios need them)` : ''))
  log(`bench: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryMB} MB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}; temp data in ${tmpRoot}`)

  const outcomes: CaseOutcome[] = []
  try {
    for (const bench of selection.cases) {
      log(`${bench.name}: ${bench.title} (${runsFor(bench, { profile })} runs)`)
      outcomes.push(await runCase(bench, { profile, randomFile: async size => await shared.randomFile(size), log, discard: async path => { await trash.discard(path) } }, tmpRoot))
    }
  } finally {
    await stopAll()
    await rm(tmpRoot, { recursive: true, force: true, maxRetries: 3 })
  }

  const refs = references(outcomes)
  const reports = outcomes.map(o => caseReport(o, refs))
  const seconds = (now() - started) / 1000
  process.stdout.write(`\n${renderReport(reports)}\n\nreferences: ${describeReferences(refs)}\n` +
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${date}, ${seconds.toFixed(1)} s\n`)

  const out = resolve(REPO_ROOT, args.out)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, JSON.stringify({
    date,
    seconds: +seconds.toFixed(2),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    quick: args.quick,
    profile,
    machine,
    references: refs,
    cases: reports
  }, null, 2) + '\n')
  log(`bench: figures written to ${out}`)
  const failed = reports.filter(r => r.error != null).map(r => r.name)
  if (failed.length > 0) log(`bench: ${failed.length} case${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ')}`)
  if (args.quick && seconds > QUICK_BUDGET_S) log(`bench: --quick took ${seconds.toFixed(0)} s, over its ${QUICK_BUDGET_S} s budget`)
  return failed.length > 0 ? 1 : 0
}

main().then(code => process.exit(code), err => {
  log(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  void stopAll().finally(() => process.exit(1))
})
