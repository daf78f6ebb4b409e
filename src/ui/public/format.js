// Numbers for people: sizes, rates, durations. Binary units, as the CLI prints them.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function bytes (n) {
  if (!Number.isFinite(n)) return '?'
  let i = 0
  while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i++ }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : 1)} ${UNITS[i]}`
}

export function rate (n) {
  return `${bytes(Math.round(n))}/s`
}

export function duration (s) {
  if (!Number.isFinite(s) || s < 0) return '?'
  s = Math.round(s)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** `4MiB`, `500 KiB`, `1.5M`, `2000` (bytes/s), `0` or empty = no limit. Returns bytes/s or
 * undefined when the text is not a rate. */
export function parseRate (text) {
  const t = text.trim()
  if (t === '') return 0
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?(?:\/s)?$/i.exec(t)
  if (m == null) return undefined
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()]
  return Math.round(Number(m[1]) * mult)
}

/** A limit for the input box: `0` for none, else the shortest exact binary form. */
export function rateText (n) {
  if (!n) return '0'
  for (const [u, m] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]]) {
    if (n % m === 0) return `${n / m}${u}`
  }
  return String(n)
}

export function shortId (id) {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

export function time (ms) {
  return new Date(ms).toLocaleTimeString()
}
