import { resolve, sep, join } from 'node:path'
import { MAX_SEGMENT_BYTES, PARTIAL_DIR } from './constants.js'
import { InvalidNameError } from './errors.js'

// control characters, bidi overrides/isolates (a name that displays as another), and
// characters Windows refuses in names (':' would be an NTFS stream)
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069<>:"|?*]/g
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i
const DRIVE_LETTER = /^[a-z]:$/i

export interface SafePath {
  /** '/'-separated path relative to the output folder. */
  relative: string
  /** Absolute path inside the output folder. */
  path: string
}

/**
 * Turn a name from the network into a path inside `outDir`. Both '/' and '\' separate
 * segments; empty, '.' and '..' segments and drive letters are dropped; unsafe characters
 * become '_'; each segment is cut to 255 UTF-8 bytes, keeping its extension. The result is
 * checked to resolve inside `outDir`. Throws InvalidNameError when nothing valid remains.
 */
export function sanitizeName (name: string, outDir: string): SafePath {
  const segments: string[] = []
  for (const raw of name.normalize('NFC').split(/[/\\]+/)) {
    if (raw === '' || raw === '.' || raw === '..') continue
    if (segments.length === 0 && DRIVE_LETTER.test(raw)) continue
    let seg = raw.replace(UNSAFE_CHARS, '_')
    // Windows strips trailing dots and spaces, which would turn 'a.' into 'a'
    seg = seg.replace(/[. ]+$/, '')
    if (seg === '' || seg === '.' || seg === '..') continue
    if (WINDOWS_RESERVED.test(seg)) seg = `_${seg}`
    segments.push(truncateSegment(seg, MAX_SEGMENT_BYTES))
  }
  if (segments.length === 0) {
    throw new InvalidNameError(`no usable file name in ${JSON.stringify(name.slice(0, 200))}`)
  }
  // never let a downloaded file land in (or replace) our own partial-download folder
  if (segments[0] === PARTIAL_DIR) segments[0] = `_${PARTIAL_DIR.slice(1)}`

  const root = resolve(outDir)
  const path = resolve(root, join(...segments))
  if (!path.startsWith(root + sep)) {
    throw new InvalidNameError(`name ${JSON.stringify(name.slice(0, 200))} resolves outside ${root}`)
  }
  return { relative: segments.join('/'), path }
}

/** Cut a segment to `max` UTF-8 bytes without splitting a character, keeping a short
 * extension so the file still opens with the right program. */
export function truncateSegment (seg: string, max: number): string {
  if (Buffer.byteLength(seg) <= max) return seg
  const dot = seg.lastIndexOf('.')
  const ext = dot > 0 && Buffer.byteLength(seg.slice(dot)) <= 32 ? seg.slice(dot) : ''
  const budget = max - Buffer.byteLength(ext)
  let out = ''
  let bytes = 0
  for (const ch of seg.slice(0, seg.length - ext.length)) {
    const n = Buffer.byteLength(ch)
    if (bytes + n > budget) break
    out += ch
    bytes += n
  }
  return out + ext
}

/** `name (1).ext`, `name (2).ext`, ... for the n-th alternative of a taken path. */
export function numberedName (path: string, n: number): string {
  const slash = path.lastIndexOf(sep)
  const dir = path.slice(0, slash + 1)
  const base = path.slice(slash + 1)
  const dot = base.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, '']
  const suffix = ` (${n})`
  return dir + truncateSegment(stem, MAX_SEGMENT_BYTES - Buffer.byteLength(ext) - suffix.length) + suffix + ext
}
