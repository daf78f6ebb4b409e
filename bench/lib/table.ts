/** A plain-text table: the first row is the header; columns align, numbers to the right. */

const GAP = '  '
const NUMERIC = /^[-+]?[\d.,]+([x%]|\s*-\s*[\d.,]+)?$/

export function renderTable (rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  }
  const line = (row: string[]): string => row
    .map((cell, i) => NUMERIC.test(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))
    .join(GAP)
    .trimEnd()
  const [header, ...body] = rows
  const rule = widths.map(w => '-'.repeat(w)).join(GAP)
  return [line(header), rule, ...body.map(line)].join('\n')
}

/** Three significant digits, no exponent: 1234 -> '1234', 12.345 -> '12.3', 0.01234 -> '0.0123'. */
export function formatNumber (n: number): string {
  if (!Number.isFinite(n)) return 'n/a'
  const abs = Math.abs(n)
  if (abs >= 100) return Math.round(n).toString()
  if (abs >= 10) return n.toFixed(1)
  if (abs >= 1) return n.toFixed(2)
  if (abs === 0) return '0'
  return n.toPrecision(3)
}

export function formatRatio (n: number | undefined): string {
  return n == null || !Number.isFinite(n) ? '' : `${n.toFixed(2)}x`
}
