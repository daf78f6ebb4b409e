import { rename, unlink } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { chunkMatches } from './disk.js'
import { createOwnFile, openForRead } from './out-folder.js'
import type { FileHandle } from 'node:fs/promises'
import type { Manifest } from '../wire/file-manifest.js'

/**
 * The state file of a partial download (`<fileId>.state` beside its `.part`): which chunks are
 * verified and on disk. Written atomically (new file, fsync, rename); read back as a claim that
 * is checked against the bytes on disk before any chunk counts (see PartialFile).
 */

const log = logger('fsnode:transfer:partial')
const STATE_VERSION = 1
/** Bytes of a state file besides its bitfield. */
const MAX_STATE_OVERHEAD = 4096

interface StateFile {
  version: number
  fileId: string
  size: number
  chunkSize: number
  /** Bitfield of verified chunks, base64. */
  done: string
}

/** Replace the state at `path` with `bits`; on failure the previous state stays valid. */
export async function writeState (path: string, manifest: Manifest, bits: Uint8Array): Promise<void> {
  const state: StateFile = {
    version: STATE_VERSION,
    fileId: manifest.fileId.toString(),
    size: manifest.size,
    chunkSize: manifest.chunkSize,
    done: Buffer.from(bits).toString('base64')
  }
  const tmp = `${path}.tmp`
  try {
    // a new file of ours: a link or a second name planted at tmp is removed, not written through
    const fh = await createOwnFile(tmp)
    try {
      await fh.writeFile(JSON.stringify(state))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path) // replaces a link at the state's name, never follows it
  } catch (err) {
    await unlink(tmp).catch(() => {}) // the previous state stays valid
    throw err
  }
}

/** The bitfield a state file at `path` claims for `manifest`; undefined when it is missing,
 * torn, too large or describes another file. */
export async function readState (path: string, manifest: Manifest): Promise<Uint8Array | undefined> {
  const opened = await openForRead(path).catch(() => undefined)
  if (opened == null) return undefined
  try {
    // a few hundred bytes plus the bitfield in base64; anything much larger is not ours
    if (opened.st.size > MAX_STATE_OVERHEAD + 2 * manifest.chunks / 8) return undefined
    const s = JSON.parse(await opened.fh.readFile('utf8')) as StateFile
    const bits = Buffer.from(s.done, 'base64')
    if (s.version !== STATE_VERSION || s.fileId !== manifest.fileId.toString() || s.size !== manifest.size ||
      s.chunkSize !== manifest.chunkSize || bits.byteLength !== Math.ceil(manifest.chunks / 8)) return undefined
    return bits
  } catch {
    return undefined // torn or not ours: start over
  } finally {
    await opened.fh.close()
  }
}

/** The chunks of `claimed` whose bytes on disk hash to the manifest's values: a state file is
 * not proof (it may be forged or the data changed since), so a resumed file is as verified as
 * a fresh one. A mismatched chunk is fetched again. */
export async function verifiedChunks (fh: FileHandle, manifest: Manifest, claimed: Uint8Array): Promise<Uint8Array> {
  const bits = new Uint8Array(Math.ceil(manifest.chunks / 8))
  const buf = Buffer.allocUnsafe(manifest.chunkSize)
  let rejected = 0
  for (let i = 0; i < manifest.chunks; i++) {
    if ((claimed[i >> 3] & (1 << (i & 7))) === 0) continue
    if (await chunkMatches(fh, manifest, i, buf)) bits[i >> 3] |= 1 << (i & 7)
    else rejected++
  }
  if (rejected > 0) log('%s: %d chunks recorded as done do not match the manifest; fetching them again', manifest.fileId, rejected)
  return bits
}
