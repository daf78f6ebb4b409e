import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { FILE_ID_LENGTH, Manifest } from '../../src/wire/file-manifest.js'
import type { CachedFile } from '../../src/share/hash-cache.js'
import type { ShareIndex } from '../../src/share/share-index.js'
import type { ShareDelta } from '../../src/share/types.js'
import { sleep, until } from '../../kit/wait.js'

/** Short watcher timings so tests see changes within a second. */
export const FAST_WATCH = { debounceMs: 50, maxWaitMs: 500, stabilityMs: 250, writePollMs: 50, pollIntervalMs: 200 }

export async function tempDir (label: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `fsnode-share-${label}-`))
}

export async function removeDirs (dirs: string[]): Promise<void> {
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
}

export async function put (root: string, rel: string, data: string | Uint8Array): Promise<string> {
  const path = join(root, rel)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, data)
  return path
}

export { sleep }

export async function waitFor (what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  await until(check, what, timeoutMs)
}

/** Collects every change event of an index, and the net state they describe. */
export class DeltaLog {
  readonly deltas: ShareDelta[] = []
  constructor (index: ShareIndex) {
    index.addEventListener('change', evt => { this.deltas.push(evt.detail) })
  }

  get added (): string[] {
    return this.deltas.flatMap(d => d.added.map(f => f.name))
  }

  get removed (): string[] {
    return this.deltas.flatMap(d => d.removed)
  }

  clear (): void {
    this.deltas.length = 0
  }
}

/** A hash cache entry's manifest, whichever form entries() gave it in (the recorded file id's
 * bytes then the manifest's, in hex, must be the manifest's own file id). */
export function cachedManifest (e: CachedFile): Manifest {
  if (typeof e.manifest !== 'string') return e.manifest
  const all = Buffer.from(e.manifest, 'hex')
  const m = Manifest.decode(all.subarray(FILE_ID_LENGTH))
  if (!Buffer.from(m.fileId.bytes).equals(all.subarray(0, m.fileId.bytes.byteLength))) throw new Error(`${e.path}: recorded file id is not its manifest's`)
  return m
}
