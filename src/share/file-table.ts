import { parentNames } from './roots.js'
import { idHash, idHashOfKey } from './shared-file.js'
import type { IndexedFile } from './shared-file.js'
import type { Root } from './roots.js'
import type { ShareDelta, SharedFile } from './types.js'
import type { CID } from 'multiformats/cid'

/** The ancestor directory names of a name (see parentNames), the last answer kept: files come
 * folder by folder (a scan, a restart's rows in path order), so most names reuse the strings
 * of the one before instead of slicing them again (twice per file: a slice and its hash). */
class ParentNames {
  private dir = ''
  private names: string[] = ['']

  of (name: string): string[] {
    const i = name.lastIndexOf('/')
    if (i <= 0) return ROOT_ONLY
    if (i !== this.dir.length || !name.startsWith(this.dir)) {
      this.dir = name.slice(0, i)
      this.names = [...parentNames(name)]
    }
    return this.names
  }
}

const ROOT_ONLY = ['']

/** The shared files by name and by file id, with the counts the index needs without a scan. */
export class FileTable {
  private readonly byName = new Map<string, IndexedFile>()
  /** The names holding each file id, by idHash(): a name, or a Set only when several do (the
   * same content, or rarely ids whose hashes agree). A number key, not the id's bytes as a
   * string (56 bytes per file: the provide upkeep makes those only for the ids it works on). */
  private readonly byFileId = new Map<number, string | Set<string>>()
  private ids = 0
  /** Files under each directory name ('' counts all): whether a name has anything below it. */
  private readonly dirCount = new Map<string, number>()
  /** Files and bytes per root: roots() without a pass over every file (one root per seeded download). */
  private readonly perRoot = new Map<Root, { files: number, bytes: number }>()
  private totalBytes = 0
  private readonly parents = new ParentNames()

  get size (): number {
    return this.byName.size
  }

  get bytes (): number {
    return this.totalBytes
  }

  get (name: string): IndexedFile | undefined {
    return this.byName.get(name)
  }

  entries (): IterableIterator<[string, IndexedFile]> {
    return this.byName.entries()
  }

  files (): SharedFile[] {
    return [...this.byName.values()]
  }

  /** Every file, one at a time: no array of them all (a snapshot of 200,000 files reads this). */
  each (): IterableIterator<IndexedFile> {
    return this.byName.values()
  }

  /** How many distinct file ids the files have. */
  get idCount (): number {
    return this.ids
  }

  /** Every file id once, as a one-byte string of its bytes, made as it is read (see
   * IndexedFile.idKey). Follows the table's changes while it is read (a Map's iterator does). */
  * idKeys (): Generator<string> {
    for (const names of this.byFileId.values()) {
      if (typeof names === 'string') {
        const file = this.byName.get(names)
        if (file != null) yield file.idKey
        continue
      }
      const keys = new Set<string>()
      for (const name of names) {
        const key = this.byName.get(name)?.idKey
        if (key != null) keys.add(key)
      }
      yield * keys
    }
  }

  /** True when a file has the id whose bytes are the one-byte string `key`. */
  hasIdKey (key: string): boolean {
    return this.find(idHashOfKey(key), f => f.hasIdKey(key)) != null
  }

  /** Any one of the files with this id. */
  byId (fileId: CID): SharedFile | undefined {
    const bytes = fileId.bytes
    return this.find(idHash(bytes), f => f.hasId(bytes))
  }

  /** The first file of the names under `hash` that `match` takes. */
  private find (hash: number, match: (f: IndexedFile) => boolean): IndexedFile | undefined {
    const names = this.byFileId.get(hash)
    if (names == null) return undefined
    if (typeof names === 'string') {
      const f = this.byName.get(names)
      return f != null && match(f) ? f : undefined
    }
    for (const name of names) {
      const f = this.byName.get(name)
      if (f != null && match(f)) return f
    }
    return undefined
  }

  /** True when a file other than `file`, under the same hash, has its id. */
  private idHeldByOther (file: IndexedFile, names: string | Set<string> | undefined): boolean {
    if (names == null) return false
    if (typeof names === 'string') return names !== file.name && this.byName.get(names)?.sameId(file) === true
    for (const name of names) if (name !== file.name && this.byName.get(name)?.sameId(file) === true) return true
    return false
  }

  /** The files and bytes shared from one root. */
  rootTotals (root: Root): { files: number, bytes: number } {
    const t = this.perRoot.get(root)
    return { files: t?.files ?? 0, bytes: t?.bytes ?? 0 }
  }

  /** True when some file's name is inside directory `name`. */
  hasUnder (name: string): boolean {
    return (this.dirCount.get(name) ?? 0) > 0
  }

  set (file: IndexedFile): void {
    this.delete(file.name)
    this.add(file)
  }

  /** set() of a name known to be absent (a restart's rows, checked by the caller): one map
   * lookup less per file. */
  add (file: IndexedFile): void {
    const { name } = file
    this.byName.set(name, file)
    const id = file.idHash
    const names = this.byFileId.get(id)
    if (!this.idHeldByOther(file, names)) this.ids++
    if (names == null) this.byFileId.set(id, name)
    else if (typeof names === 'string') this.byFileId.set(id, new Set([names, name]))
    else names.add(name)
    for (const dir of this.parents.of(name)) this.dirCount.set(dir, (this.dirCount.get(dir) ?? 0) + 1)
    const t = this.perRoot.get(file.root)
    if (t == null) this.perRoot.set(file.root, { files: 1, bytes: file.size })
    else { t.files++; t.bytes += file.size }
    this.totalBytes += file.size
  }

  delete (name: string): IndexedFile | undefined {
    const entry = this.byName.get(name)
    if (entry == null) return undefined
    this.byName.delete(name)
    const id = entry.idHash
    const names = this.byFileId.get(id)
    if (!this.idHeldByOther(entry, names)) this.ids--
    if (names === name) this.byFileId.delete(id)
    else if (typeof names === 'object') {
      names.delete(name)
      if (names.size === 1) this.byFileId.set(id, names.values().next().value as string)
    }
    for (const dir of this.parents.of(name)) {
      const n = (this.dirCount.get(dir) ?? 1) - 1
      if (n === 0) this.dirCount.delete(dir)
      else this.dirCount.set(dir, n)
    }
    const t = this.perRoot.get(entry.root)
    if (t != null && --t.files === 0) this.perRoot.delete(entry.root)
    else if (t != null) t.bytes -= entry.size
    this.totalBytes -= entry.size
    return entry
  }
}

/** Changes not yet sent, sent together once `windowMs` after the first. Removals apply first; an
 * added name replaces the earlier file of that name, so a change undone before it is sent
 * cancels out. */
export class DeltaBuffer {
  private added = new Map<string, SharedFile>()
  private removed = new Set<string>()
  private timer?: NodeJS.Timeout
  private held = 0

  constructor (private readonly windowMs: number, private readonly send: (delta: ShareDelta) => void) {}

  add (file: SharedFile): void {
    this.removed.delete(file.name)
    this.added.set(file.name, file)
    this.schedule()
  }

  remove (name: string): void {
    this.added.delete(name)
    this.removed.add(name)
    this.schedule()
  }

  get empty (): boolean {
    return this.added.size === 0 && this.removed.size === 0
  }

  /** Changes made until release() go out together (a folder get's seeds: one delta). */
  hold (): void {
    this.held++
  }

  release (): void {
    if (--this.held === 0 && !this.empty) this.schedule()
  }

  /** Send what is pending now, if anything. */
  flush (): void {
    this.cancel()
    if (this.empty || this.held > 0) return
    const delta: ShareDelta = { added: [...this.added.values()], removed: [...this.removed] }
    this.added = new Map()
    this.removed = new Set()
    this.send(delta)
  }

  /** Drop the pending send (what is buffered stays). */
  cancel (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule (): void {
    this.timer ??= setTimeout(() => { this.flush() }, this.windowMs)
  }
}
