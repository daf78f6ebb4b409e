import { mkdir, open, readFile, rename, rmdir, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { logger } from '@libp2p/logger'
import { PARTIAL_DIR, STATE_FLUSH_CHUNKS, STATE_FLUSH_INTERVAL } from './constants.js'
import { PartialFileError } from './errors.js'
import { ensureSpace, exists, fsError, placeNoClobber, sameContent, syncDir } from './disk.js'
import { numberedName, sanitizeName } from './sanitize.js'
import type { FileHandle } from 'node:fs/promises'
import type { Manifest } from '../share/manifest.js'

const log = logger('fsnode:transfer:partial')
const STATE_VERSION = 1
const MAX_NAME_TRIES = 1000

export interface PartialFileInit {
  outDir: string
  manifest: Manifest
  /** Record verified chunks after this many writes. @default STATE_FLUSH_CHUNKS */
  flushChunks?: number
  /** ...or after this long. @default STATE_FLUSH_INTERVAL */
  flushInterval?: number
}

interface StateFile {
  version: number
  fileId: string
  size: number
  chunkSize: number
  /** Bitfield of verified chunks, base64. */
  done: string
}

/**
 * An unfinished download: data at `<out>/.fsnode-partial/<fileId>.part` (sized up front,
 * written at chunk offsets) and a state file `<fileId>.state` listing the verified chunks.
 * A chunk enters the state only after the data file is fsynced, and the state is replaced
 * atomically (write, fsync, rename), so after Ctrl-C, kill -9 or a power cut the state never
 * claims a chunk that is not on disk; at worst a few chunks are fetched again.
 */
export class PartialFile {
  readonly dataPath: string
  readonly statePath: string
  /** Chunks found verified on disk when opened. */
  readonly resumed: number
  private readonly bits: Uint8Array
  private pending: number[] = []
  private lastFlush = Date.now()
  private flushing: Promise<void> = Promise.resolve()
  private failure?: Error
  private closed = false
  /** A .part never stays behind without a .state describing it. */
  private stateWritten = false

  private constructor (
    private readonly init: PartialFileInit,
    private readonly fh: FileHandle,
    bits: Uint8Array,
    private readonly flushChunks: number,
    private readonly flushInterval: number
  ) {
    const id = init.manifest.fileId.toString()
    this.dataPath = join(init.outDir, PARTIAL_DIR, `${id}.part`)
    this.statePath = join(init.outDir, PARTIAL_DIR, `${id}.state`)
    this.bits = bits
    this.resumed = this.doneIndexes().length
  }

  static async open (init: PartialFileInit): Promise<PartialFile> {
    const { manifest, outDir } = init
    const id = manifest.fileId.toString()
    const dir = join(outDir, PARTIAL_DIR)
    const dataPath = join(dir, `${id}.part`)
    const bits = new Uint8Array(Math.ceil(manifest.chunks / 8))
    let fh: FileHandle
    try {
      await mkdir(dir, { recursive: true })
      fh = await open(dataPath, 'r+').catch(async (err: any) => {
        if (err.code !== 'ENOENT') throw err
        return await open(dataPath, 'w+')
      })
    } catch (err) {
      throw fsError(err, `cannot create ${dataPath}`)
    }
    try {
      const st = await fh.stat()
      const saved = st.size === manifest.size ? await readState(join(dir, `${id}.state`), manifest) : undefined
      if (saved != null) bits.set(saved)
      await ensureSpace(dir, manifest.size - st.blocks * 512)
      await fh.truncate(manifest.size)
    } catch (err) {
      await fh.close()
      throw fsError(err, `cannot prepare ${dataPath}`)
    }
    const p = new PartialFile(init, fh, bits, init.flushChunks ?? STATE_FLUSH_CHUNKS, init.flushInterval ?? STATE_FLUSH_INTERVAL)
    if (p.resumed > 0) p.stateWritten = true
    if (p.resumed > 0) log('resuming %s: %d of %d chunks on disk', id, p.resumed, manifest.chunks)
    return p
  }

  has (index: number): boolean {
    return (this.bits[index >> 3] & (1 << (index & 7))) !== 0
  }

  doneIndexes (): number[] {
    const out: number[] = []
    for (let i = 0; i < this.init.manifest.chunks; i++) if (this.has(i)) out.push(i)
    return out
  }

  /** Write a verified chunk at its offset. It is recorded in the state by a later flush. */
  async write (index: number, data: Uint8Array): Promise<void> {
    if (this.failure != null) throw this.failure
    const { manifest } = this.init
    let pos = index * manifest.chunkSize
    try {
      for (let off = 0; off < data.byteLength;) {
        const { bytesWritten } = await this.fh.write(data, off, data.byteLength - off, pos)
        off += bytesWritten
        pos += bytesWritten
      }
    } catch (err) {
      throw fsError(err, `cannot write ${this.dataPath}`)
    }
    this.pending.push(index)
    if (this.pending.length >= this.flushChunks || Date.now() - this.lastFlush >= this.flushInterval) {
      void this.flush().catch(() => {}) // the failure is kept and thrown by the next write
    }
  }

  /** fsync the data, then record every chunk written so far in the state file. */
  async flush (): Promise<void> {
    const run = this.flushing.then(async () => { await this.flushNow() })
    this.flushing = run.catch(() => {})
    await run
  }

  private async flushNow (): Promise<void> {
    if (this.failure != null) throw this.failure
    const batch = this.pending
    if (batch.length === 0 && this.stateWritten) return
    this.pending = []
    this.lastFlush = Date.now()
    try {
      await this.fh.datasync()
      for (const i of batch) this.bits[i >> 3] |= 1 << (i & 7)
      await this.writeState()
      this.stateWritten = true
    } catch (err) {
      this.failure = fsError(err, `cannot record progress in ${this.statePath}`)
      throw this.failure
    }
  }

  private async writeState (): Promise<void> {
    const { manifest } = this.init
    const state: StateFile = {
      version: STATE_VERSION,
      fileId: manifest.fileId.toString(),
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      done: Buffer.from(this.bits).toString('base64')
    }
    const tmp = `${this.statePath}.tmp`
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(JSON.stringify(state))
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, this.statePath)
    } catch (err) {
      await unlink(tmp).catch(() => {}) // the previous state stays valid
      throw err
    }
  }

  /** Flush and close; the partial data and its state stay for a later resume. */
  async close (): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      await this.fh.close()
    }
  }

  /**
   * Move the finished file to `name` under the output folder. Never overwrites: when the name
   * is taken by the same content it counts as done (existed: true), otherwise `name (1).ext`,
   * `name (2).ext`, ... is used. Hard-linking then unlinking is an atomic no-clobber rename.
   */
  async complete (name: string): Promise<{ path: string, existed: boolean }> {
    await this.flush()
    const { manifest, outDir } = this.init
    if (this.doneIndexes().length !== manifest.chunks) {
      throw new PartialFileError(`cannot complete ${this.dataPath}: chunks are missing`)
    }
    await this.fh.sync()
    this.closed = true
    await this.fh.close()
    const target = sanitizeName(name, outDir).path
    try {
      await mkdir(dirname(target), { recursive: true })
      for (let n = 0; n < MAX_NAME_TRIES; n++) {
        const path = n === 0 ? target : numberedName(target, n)
        if (await exists(path)) {
          if (await sameContent(path, manifest)) {
            await this.discard()
            return { path, existed: true }
          }
          continue
        }
        if (!await placeNoClobber(this.dataPath, path)) continue
        await unlink(this.statePath).catch(() => {})
        await syncDir(dirname(path))
        await rmdir(dirname(this.dataPath)).catch(() => {}) // only when empty
        return { path, existed: false }
      }
    } catch (err) {
      throw fsError(err, `cannot move ${this.dataPath} to ${target}`)
    }
    throw new PartialFileError(`no free name for ${target} after ${MAX_NAME_TRIES} tries`)
  }

  private async discard (): Promise<void> {
    await unlink(this.dataPath).catch(() => {})
    await unlink(this.statePath).catch(() => {})
    await rmdir(dirname(this.dataPath)).catch(() => {})
  }
}

async function readState (path: string, manifest: Manifest): Promise<Uint8Array | undefined> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as StateFile
    const bits = Buffer.from(s.done, 'base64')
    if (s.version !== STATE_VERSION || s.fileId !== manifest.fileId.toString() || s.size !== manifest.size ||
      s.chunkSize !== manifest.chunkSize || bits.byteLength !== Math.ceil(manifest.chunks / 8)) return undefined
    return bits
  } catch {
    return undefined // missing or torn: start over, the data is not trusted without it
  }
}
