import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'

const log = logger('fsnode:node:shares')

/** Paths shared besides the share folder (`fsnode share`), kept across restarts. */
export const SHARES_FILE = 'shares.json'
/** Seeds added within this window go to disk in one write: the list holds one entry per
 * downloaded file, and rewriting it after every get made a get's cost grow with the list. */
export const SEED_SAVE_DELAY_MS = 1_000
/** ...and this much longer per entry listed: a write costs in proportion to the list, so
 * spacing them so keeps what a node spends on them per second flat however much it seeds. */
const SEED_SAVE_DELAY_PER_ENTRY_MS = 0.1

export interface ExtraShare {
  path: string
  name?: string
  /** 'share': added by the user; 'seed': a finished download outside the share folder. */
  kind: 'share' | 'seed'
  /** A seed's file (device and inode): after a restart it is shared only if still that file. */
  dev?: number
  ino?: number
}

export class ShareList {
  /** By path, in the order added (a path added again moves to the end). */
  private readonly items = new Map<string, ExtraShare>()
  private readonly file: string
  private writing: Promise<void> = Promise.resolve()
  private timer?: NodeJS.Timeout

  constructor (dataDir: string, private readonly saveDelayMs = SEED_SAVE_DELAY_MS) {
    this.file = join(dataDir, SHARES_FILE)
  }

  async load (): Promise<ExtraShare[]> {
    this.items.clear()
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8'))
      if (Array.isArray(parsed)) for (const s of parsed.filter(isShare)) this.put(s)
    } catch (err: any) {
      if (err.code !== 'ENOENT') throw new Error(`${this.file} is unreadable: ${err.message}`)
    }
    return this.list()
  }

  list (): ExtraShare[] {
    return [...this.items.values()]
  }

  /** A user's share is on disk when this resolves; a seed within SEED_SAVE_DELAY_MS (or at flush()). */
  async add (share: ExtraShare): Promise<void> {
    await this.addAll([share])
  }

  /** Several at once (a folder get's seeds): one write. */
  async addAll (shares: ExtraShare[]): Promise<void> {
    for (const s of shares) this.put(s)
    if (shares.some(s => s.kind !== 'seed')) await this.save()
    else if (shares.length > 0) this.saveSoon()
  }

  async remove (path: string): Promise<boolean> {
    if (!this.items.delete(path)) return false
    await this.save()
    return true
  }

  /** Writes what a pending delayed save holds (called when the node stops). */
  async flush (): Promise<void> {
    if (this.timer == null) { await this.writing; return }
    await this.save()
  }

  private put (share: ExtraShare): void {
    this.items.delete(share.path)
    this.items.set(share.path, share)
  }

  private saveSoon (): void {
    if (this.timer != null) return
    this.timer = setTimeout(() => {
      this.save().catch((err: Error) => { log.error('cannot save %s: %s', this.file, err.message) })
    }, this.saveDelayMs + this.items.size * SEED_SAVE_DELAY_PER_ENTRY_MS)
  }

  /** Written to a temporary name and renamed, one write at a time: a crash never leaves half a list. */
  private async save (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const next = this.writing.catch(() => {}).then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(this.list(), null, 2) + '\n', { mode: 0o600 })
      await rename(tmp, this.file)
    })
    this.writing = next
    await next
  }
}

function isShare (x: any): x is ExtraShare {
  return x != null && typeof x.path === 'string' && (x.kind === 'share' || x.kind === 'seed') &&
    (x.name === undefined || typeof x.name === 'string') &&
    (x.dev === undefined || typeof x.dev === 'number') && (x.ino === undefined || typeof x.ino === 'number')
}
