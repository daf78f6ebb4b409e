import { summarize } from './stats.js'
import { formatNumber, formatRatio, renderTable } from './table.js'
import type { CaseOutcome } from './runner.js'
import type { MetricSpec, ReferenceName } from './types.js'

export type References = Partial<Record<ReferenceName, number>>

export interface MetricReport {
  key: string
  label: string
  unit: string
  better: 'higher' | 'lower'
  samples: number[]
  median?: number
  min?: number
  max?: number
  ratioToTcp?: number
  ratioToLibp2p?: number
  versus?: { reference: ReferenceName, ratio?: number }
  target?: { text: string, met?: boolean }
}

export interface CaseReport {
  name: string
  title: string
  describe?: string
  runs: number
  seconds: number
  error?: string
  metrics: MetricReport[]
  info: Array<Record<string, unknown>>
}

const REFERENCE_LABELS: Record<ReferenceName, string> = {
  tcp: 'raw TCP',
  libp2p: 'bare libp2p (1 stream)',
  sha256sum: 'sha256sum',
  oneProvider: 'one provider'
}

function samplesOf (outcome: CaseOutcome, m: MetricSpec): number[] {
  return outcome.runs.map(r => r.values[m.key]).filter((v): v is number => v != null && Number.isFinite(v))
}

/** Reference figures (medians) from the cases that ran. */
export function references (outcomes: CaseOutcome[]): References {
  const refs: References = {}
  for (const o of outcomes) {
    for (const m of o.bench.metrics) {
      const samples = samplesOf(o, m)
      if (m.reference != null && samples.length > 0) refs[m.reference] = summarize(samples).median
    }
  }
  return refs
}

export function caseReport (o: CaseOutcome, refs: References): CaseReport {
  const metrics = o.bench.metrics.map((m): MetricReport => {
    const samples = samplesOf(o, m)
    const r: MetricReport = { key: m.key, label: m.label, unit: m.unit, better: m.better, samples }
    if (samples.length === 0) return r
    Object.assign(r, summarize(samples))
    const median = r.median as number
    if (m.throughput === true) {
      if (refs.tcp != null) r.ratioToTcp = median / refs.tcp
      if (refs.libp2p != null) r.ratioToLibp2p = median / refs.libp2p
    }
    if (m.versus != null) {
      const ref = refs[m.versus]
      r.versus = { reference: m.versus, ratio: ref != null ? median / ref : undefined }
    }
    if (m.target != null) r.target = { text: m.target.text, met: m.target.met(median, refs) }
    return r
  })
  return {
    name: o.bench.name,
    title: o.bench.title,
    describe: o.describe,
    runs: o.runs.length,
    seconds: +o.seconds.toFixed(2),
    error: o.error,
    metrics,
    info: o.runs.map(r => r.info ?? {})
  }
}

function note (r: MetricReport, error?: string): string {
  const parts: string[] = []
  if (r.versus?.ratio != null) parts.push(`${formatRatio(r.versus.ratio)} ${REFERENCE_LABELS[r.versus.reference]}`)
  if (r.target != null) {
    const verdict = r.target.met == null ? '?' : r.target.met ? 'met' : 'MISSED'
    parts.push(`target ${r.target.text}: ${verdict}`)
  }
  if (error != null && r.samples.length > 0) parts.push(`stopped early: ${shorten(error, TABLE_ERROR_CHARS)}`)
  return parts.join('; ')
}

/** Errors are cut to this in the table (the JSON has them whole). */
const TABLE_ERROR_CHARS = 120

function shorten (text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}

export function renderReport (reports: CaseReport[]): string {
  const rows: string[][] = [['case', 'metric', 'median', 'min-max', 'runs', 'vs TCP', 'vs libp2p', 'note']]
  for (const c of reports) {
    let errorShown = false
    for (const m of c.metrics) {
      const metric = `${m.label} (${m.unit})`
      if (m.median == null) {
        let why = 'no samples'
        if (c.error != null) why = errorShown ? 'n/a (error above)' : `n/a (error: ${shorten(c.error, TABLE_ERROR_CHARS)})`
        errorShown ||= c.error != null
        rows.push([c.name, metric, 'n/a', '', '0', '', '', why])
        continue
      }
      rows.push([
        c.name,
        metric,
        formatNumber(m.median),
        `${formatNumber(m.min as number)} - ${formatNumber(m.max as number)}`,
        String(m.samples.length),
        formatRatio(m.ratioToTcp),
        formatRatio(m.ratioToLibp2p),
        note(m, errorShown ? undefined : c.error)
      ])
      errorShown ||= c.error != null
    }
  }
  const sizes = reports.filter(c => c.describe != null).map(c => `  ${c.name}: ${c.describe as string}`)
  return renderTable(rows) + (sizes.length > 0 ? `\n\nwhat was measured:\n${sizes.join('\n')}` : '')
}

/** The references every ratio is taken against (the throughput ones, in MB/s). */
const BASE_REFERENCES: ReferenceName[] = ['tcp', 'libp2p', 'sha256sum']

export function describeReferences (refs: References): string {
  return BASE_REFERENCES
    .map(k => `${REFERENCE_LABELS[k]} ${refs[k] != null ? `${formatNumber(refs[k] as number)} MB/s` : 'not measured'}`)
    .join(', ')
}
