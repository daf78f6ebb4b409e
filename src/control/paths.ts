import { createHash } from 'node:crypto'
import { lstat, mkdir } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { tmpdir } from 'node:os'

/** Linux caps a unix socket path at 108 bytes; keep a margin. */
const MAX_SOCKET_PATH = 100

/** The private run folder exists but is not ours alone: someone else may reach or replace the
 * socket in it. */
export class UnsafeRunDirError extends Error {
  static readonly code = 'UnsafeRunDirError'
  override name = 'UnsafeRunDirError'
}

/**
 * The control socket lives in the data dir (mode 0700, the socket 0600), so only the user who
 * runs the node can talk to it and no other host ever can. A data dir too deep for a socket
 * path gets one in a private per-user folder (privateRunDir), named by the data dir's hash.
 */
export function controlSocketPath (dataDir: string): string {
  const inDataDir = join(dataDir, 'control.sock')
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16)
  return join(privateRunDir(), `${hash}.sock`)
}

/** `fsnode-<uid>` in $XDG_RUNTIME_DIR (the user's own, when the system gives one), else in the
 * temp dir, where anyone may have made it first: see ensureRunDir. */
export function privateRunDir (): string {
  const xdg = process.env.XDG_RUNTIME_DIR
  const base = xdg != null && isAbsolute(xdg) ? xdg : tmpdir()
  return join(base, `fsnode-${process.getuid?.() ?? 'user'}`)
}

/** True when `socketPath` is in the private run folder rather than in a data dir. */
export function inRunDir (socketPath: string): boolean {
  return dirname(socketPath) === privateRunDir()
}

/** Make the private run folder, or check the one there: a real folder (not a link), ours,
 * mode 0700. Never chmod or chown one found there: that would adopt a folder another user
 * made, and can still open, empty or replace. */
export async function ensureRunDir (create: boolean): Promise<string> {
  const dir = privateRunDir()
  if (create) {
    await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
  }
  const st = await lstat(dir)
  const uid = process.getuid?.()
  const why = !st.isDirectory()
    ? 'is not a folder'
    : uid != null && st.uid !== uid
      ? `belongs to uid ${st.uid}, not to us (uid ${uid})`
      : (st.mode & 0o777) !== 0o700 ? `has mode 0${(st.mode & 0o777).toString(8)}, not 0700` : undefined
  if (why != null) {
    throw new UnsafeRunDirError(`refusing the control socket folder ${dir}: it ${why}; remove it, or use a shorter --data-dir`)
  }
  return dir
}
