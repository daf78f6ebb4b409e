import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

/** Paths shared besides the share folder (`fsnode share`), kept across restarts. */
export const SHARES_FILE = 'shares.json'

export interface ExtraShare {
  path: string
  name?: string
  /** 'share': added by the user; 'seed': a finished download outside the share folder. */
  kind: 'share' | 'seed'
}

export class ShareList {
  private items: ExtraShare[] = []
  private readonly file: string

  constructor (dataDir: string) {
    this.file = join(dataDir, SHARES_FILE)
  }

  async load (): Promise<ExtraShare[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8'))
      this.items = Array.isArray(parsed) ? parsed.filter(isShare) : []
    } catch (err: any) {
      if (err.code !== 'ENOENT') throw new Error(`${this.file} is unreadable: ${err.message}`)
      this.items = []
    }
    return [...this.items]
  }

  list (): ExtraShare[] {
    return [...this.items]
  }

  async add (share: ExtraShare): Promise<void> {
    this.items = this.items.filter(s => s.path !== share.path)
    this.items.push(share)
    await this.save()
  }

  async remove (path: string): Promise<boolean> {
    const before = this.items.length
    this.items = this.items.filter(s => s.path !== path)
    if (this.items.length === before) return false
    await this.save()
    return true
  }

  /** Written to a temporary name and renamed: a crash never leaves half a list. */
  private async save (): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(this.items, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, this.file)
  }
}

function isShare (x: any): x is ExtraShare {
  return x != null && typeof x.path === 'string' && (x.kind === 'share' || x.kind === 'seed') &&
    (x.name === undefined || typeof x.name === 'string')
}
