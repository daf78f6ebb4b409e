import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

/** Linux caps a unix socket path at 108 bytes; keep a margin. */
const MAX_SOCKET_PATH = 100

/**
 * The control socket lives in the data dir (mode 0700, the socket 0600), so only the user who
 * runs the node can talk to it and no other host ever can. A data dir too deep for a socket
 * path gets one in a private per-user folder under the temp dir, named by the data dir's hash.
 */
export function controlSocketPath (dataDir: string): string {
  const inDataDir = join(dataDir, 'control.sock')
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16)
  return join(privateRunDir(), `${hash}.sock`)
}

export function privateRunDir (): string {
  return join(tmpdir(), `fsnode-${process.getuid?.() ?? 'user'}`)
}
