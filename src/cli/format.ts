import { terminalText } from '../util/terminal-text.js'
import { MAX_DISPLAY_NAME } from '../util/constants.js'

/** Human-readable output for terminals; `--json` output never goes through here. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function formatBytes (n: number): string {
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${v} ${UNITS[u]}` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`
}

export function formatRate (bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '--'
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const m = Math.floor(seconds / 60)
  const s = Math.round(seconds % 60)
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

/** Render rows as aligned columns; the last column is not padded. */
export function table (header: string[], raw: string[][]): string {
  // cells hold names from the network: printed without escapes or bidi controls
  const rows = raw.map(r => r.map(c => terminalText(c, MAX_DISPLAY_NAME)))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function shortId (id: string, keep = 12): string {
  return id.length <= keep + 3 ? id : `${id.slice(0, 6)}…${id.slice(-(keep - 6))}`
}
