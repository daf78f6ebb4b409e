import { rmdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { PARTIAL_DIR, PARTIAL_DIR_RETRIES, STATE_FLUSH_CHUNKS, STATE_FLUSH_INTERVAL } from './constants.js'
import { PartialFileError } from './errors.js'
import { DirectWriter } from './direct-io.js'
import { readState, verifiedChunks, writeState } from './partial-state.js'
import { contentIdentity, ensureSpace, exists, fsError, placeNoClobber, syncDir, writeAll } from './disk.js'
import { assertInside, assertIsFile, identityOf, openOwnFile, realOutDir, safeDir } from './out-folder.js'
import { numberedName, sanitizeName } from './sanitize.js'
import type { FileIdentity } from './out-folder.js'
import type { FileHandle } from 'node:fs/promises'
import type { Manifest } from '../wire/file-manifest.js'

const log = logger('fsnode:transfer:partial')
const MAX_NAME_TRIES = 1000

export interface PartialFileInit {
  outDir: string
  manifest: Manifest
  /** Record verified chunks after this many writes. @default STATE_FLUSH_CHUNKS */
  flushChunks?: number
  /** ...or after this long. @default STATE_FLUSH_INTERVAL */
  flushInterval?: number
  /** Write whole chunks with O_DIRECT where the file system allows it (direct-io.ts): for
   * downloads, whose chunk buffers are aligned. @default false */
  direct?: boolean
}

/**
 * An unfinished download: data at `<out>/.fsnode-partial/<fileId>.part` (sized up front,
 * written at chunk offsets) and a state file `<fileId>.state` listing the verified chunks
 * (partial-state.ts). Whole chunks of a big file are written with O_DIRECT (direct-io.ts).
 * A chunk enters the state only after the data file is fsynced, and the state is replaced
 * atomically (write, fsync, rename), so after Ctrl-C, kill -9 or a power cut the state never
 * claims a chunk that is not on disk; at worst a few chunks are fetched again.
 *
 * Others may write into the output folder, so nothing found there is trusted: links are never
 * followed (see out-folder.ts), and chunks a state file claims are re-hashed from the bytes on
 * disk before they count.
 */
export class PartialFile {
  readonly dataPath: string
  readonly statePath: string
  /** Chunks found verified on disk when opened. */
  readonly resumed: number
  private readonly dir: string
  private readonly bits: Uint8Array
  private pending: number[] = []
  private lastFlush = Date.now()
  private flushing: Promise<void> = Promise.resolve()
  private failure?: Error
  private closed = false
  private released = false
  /** A .part never stays behind without a .state describing it. */
  private stateWritten = false
  /** Whole chunks written with O_DIRECT; undefined when not wanted or not possible. */
  private direct?: DirectWriter

  private constructor (
    private readonly init: PartialFileInit,
    private readonly outReal: string,
    private readonly fh: FileHandle,
    bits: Uint8Array,
    private readonly flushChunks: number,
    private readonly flushInterval: number
  ) {
    const id = init.manifest.fileId.toString()
    this.dir = join(outReal, PARTIAL_DIR)
    this.dataPath = join(this.dir, `${id}.part`)
    this.statePath = join(this.dir, `${id}.state`)
    this.bits = bits
    this.resumed = this.doneIndexes().length
    this.stateWritten = this.resumed > 0
  }

  static async open (init: PartialFileInit): Promise<PartialFile> {
    const { manifest } = init
    const id = manifest.fileId.toString()
    let dataPath = join(init.outDir, PARTIAL_DIR, `${id}.part`)
    let outReal: string
    let dir: string
    let opened: { fh: FileHandle, fresh: boolean }
    try {
      outReal = await realOutDir(init.outDir)
      dir = join(outReal, PARTIAL_DIR)
      dataPath = join(dir, `${id}.part`)
    } catch (err) {
      throw fsError(err, `cannot create ${dataPath}`)
    }
    acquireDir(dir)
    try {
      opened = await openData(outReal, dataPath)
    } catch (err) {
      await releaseDir(dir)
      throw fsError(err, `cannot create ${dataPath}`)
    }
    const { fh, fresh } = opened
    let bits: Uint8Array
    try {
      const st = await fh.stat()
      const saved = !fresh && st.size === manifest.size ? await readState(join(dir, `${id}.state`), manifest) : undefined
      bits = saved != null ? await verifiedChunks(fh, manifest, saved) : new Uint8Array(Math.ceil(manifest.chunks / 8))
      await ensureSpace(dir, manifest.size - st.blocks * 512)
      await fh.truncate(manifest.size)
    } catch (err) {
      await fh.close()
      await releaseDir(dir)
      throw fsError(err, `cannot prepare ${dataPath}`)
    }
    const p = new PartialFile(init, outReal, fh, bits, init.flushChunks ?? STATE_FLUSH_CHUNKS, init.flushInterval ?? STATE_FLUSH_INTERVAL)
    if (init.direct === true) p.direct = await DirectWriter.open(fh, p.dataPath, manifest.size, manifest.chunkSize)
    if (p.resumed > 0) log('resuming %s: %d of %d chunks on disk and verified', id, p.resumed, manifest.chunks)
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

  /** True while whole chunks are written with O_DIRECT. */
  get writesDirect (): boolean {
    return this.direct?.active === true
  }

  /** Write a verified chunk at its offset. It is recorded in the state by a later flush. */
  async write (index: number, data: Uint8Array): Promise<void> {
    if (this.failure != null) throw this.failure
    const pos = index * this.init.manifest.chunkSize
    try {
      if (await this.direct?.write(data, pos) !== true) await writeAll(this.fh, data, pos)
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
      await this.saveState()
      this.stateWritten = true
    } catch (err) {
      this.failure = fsError(err, `cannot record progress in ${this.statePath}`)
      throw this.failure
    }
  }

  /** The one place the state file is written (a spec counts the writes). */
  private async saveState (): Promise<void> {
    await writeState(this.statePath, this.init.manifest, this.bits)
  }

  /** Flush and close; the partial data and its state stay for a later resume. */
  async close (): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      await this.end()
    }
  }

  /**
   * Move the finished file to `name` under the output folder. Never overwrites: when the name
   * is taken by the same content it counts as done (existed: true), otherwise `name (1).ext`,
   * `name (2).ext`, ... is used. Hard-linking then unlinking is an atomic no-clobber rename.
   * Folders on the way are created one by one and never followed through a link; the name is
   * checked afterwards to hold the very file we wrote (`identity`).
   */
  async complete (name: string): Promise<{ path: string, existed: boolean, identity: FileIdentity }> {
    await this.flushing
    if (this.stateWritten || this.failure != null) {
      await this.flush()
    } else {
      // never recorded (a small file, fetched within one flush interval): it is placed now, so
      // a state file would be written only to be deleted; the fsync below keeps the data safe.
      // On failure the state is written after all (see the catch below).
      for (const i of this.pending) this.bits[i >> 3] |= 1 << (i & 7)
      this.pending = []
    }
    const { manifest } = this.init
    if (this.doneIndexes().length !== manifest.chunks) {
      await this.flush()
      throw new PartialFileError(`cannot complete ${this.dataPath}: chunks are missing`)
    }
    const target = sanitizeName(name, this.outReal)
    try {
      await this.fh.sync()
      const segments = target.relative.split('/')
      const dir = await safeDir(this.outReal, segments.slice(0, -1)) ?? this.outReal
      const base = join(dir, segments[segments.length - 1])
      for (let n = 0; n < MAX_NAME_TRIES; n++) {
        const path = n === 0 ? base : numberedName(base, n)
        if (await exists(path)) {
          const identity = await contentIdentity(path, manifest)
          if (identity == null) continue
          await this.discard()
          return { path, existed: true, identity }
        }
        await assertIsFile(this.fh, this.dataPath) // the .part is still the file we wrote
        if (!await placeNoClobber(this.dataPath, path)) continue
        try {
          await assertInside(this.outReal, dir)
          await assertIsFile(this.fh, path)
        } catch (err) {
          await unlink(path).catch(() => {}) // what a swap put under our new name goes
          throw err
        }
        const identity = identityOf(await this.fh.stat())
        await unlink(this.statePath).catch(() => {})
        await syncDir(dir)
        await this.end()
        return { path, existed: false, identity }
      }
    } catch (err) {
      await this.flush().catch(() => {}) // the .part stays, with its state, for a resume
      await this.end()
      throw fsError(err, `cannot move ${this.dataPath} to ${target.path}`)
    }
    await this.flush().catch(() => {})
    await this.end()
    throw new PartialFileError(`no free name for ${target.path} after ${MAX_NAME_TRIES} tries`)
  }

  private async discard (): Promise<void> {
    await unlink(this.dataPath).catch(() => {})
    await unlink(this.statePath).catch(() => {})
    await this.end()
  }

  /** Close the data file and let the partial folder go when no other download uses it. */
  private async end (): Promise<void> {
    if (!this.closed) {
      this.closed = true
      await this.direct?.close()
      await this.fh.close().catch(() => {})
    }
    if (!this.released) {
      this.released = true
      await releaseDir(this.dir)
    }
  }
}

/**
 * Downloads of this process using each partial folder. The folder is removed when the last
 * one ends, never while another is between creating it and creating its file in it (a folder
 * get of ~2,000 small files hit ENOENT that way).
 */
const dirUsers = new Map<string, number>()

export function acquireDir (dir: string): void {
  dirUsers.set(dir, (dirUsers.get(dir) ?? 0) + 1)
}

export async function releaseDir (dir: string): Promise<void> {
  const n = (dirUsers.get(dir) ?? 1) - 1
  if (n > 0) {
    dirUsers.set(dir, n)
    return
  }
  dirUsers.delete(dir)
  await rmdir(dir).catch(() => {}) // only when empty
}

/** The partial folder (a real folder, not a link) and our data file in it. Another process
 * may remove the empty folder between the two steps: then both are tried again. */
async function openData (outReal: string, dataPath: string): Promise<{ fh: FileHandle, fresh: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const dir = await safeDir(outReal, [PARTIAL_DIR]) ?? outReal
      const opened = await openOwnFile(dataPath)
      try {
        await assertInside(outReal, dir)
        await assertIsFile(opened.fh, dataPath)
      } catch (err) {
        await opened.fh.close()
        throw err
      }
      return opened
    } catch (err: any) {
      if (err.code === 'ENOENT' && attempt < PARTIAL_DIR_RETRIES) continue
      throw err
    }
  }
}
