import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { open, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { ShareFolderError } from '../../src/share/errors.js'
import { hashFile } from '../../src/share/hasher.js'
import { ShareIndex } from '../../src/share/share-index.js'
import { DeltaLog, FAST_WATCH, put, removeDirs, sleep, tempDir, waitFor } from './helpers.js'
import type { ShareIndexOptions } from '../../src/share/share-index.js'

describe('share/share-index', () => {
  const dirs: string[] = []
  const indexes: ShareIndex[] = []
  let share: string
  let data: string

  async function startIndex (options: Partial<ShareIndexOptions> = {}): Promise<ShareIndex> {
    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: FAST_WATCH, flushMs: 20, ...options })
    indexes.push(index)
    await index.start()
    return index
  }

  beforeEach(async () => {
    dirs.push(share = await tempDir('root'))
    dirs.push(data = await tempDir('data'))
  })
  afterEach(async () => {
    await Promise.all(indexes.splice(0).map(async i => { await i.stop() }))
    await removeDirs(dirs)
  })

  it('indexes the share folder and extra roots under their names', async () => {
    await put(share, 'docs/a.txt', 'same')
    await put(share, 'docs/b.txt', 'same')
    await put(share, 'top.txt', 'top')
    const extra = await tempDir('photos')
    dirs.push(extra)
    await put(extra, 'x.jpg', 'jpeg')
    const single = await tempDir('single')
    dirs.push(single)
    const report = await put(single, 'report.pdf', 'pdf')
    const index = await startIndex({ roots: [{ path: share }, { path: extra, name: 'photos' }, { path: report }] })
    const log = new DeltaLog(index)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['docs/a.txt', 'docs/b.txt', 'photos/x.jpg', 'report.pdf', 'top.txt'])
    const a = index.getByName('docs/a.txt')
    assert.ok(a != null)
    assert.equal(a.path, join(share, 'docs/a.txt'))
    assert.equal(a.size, 4)
    // two names, one file id: either may be returned
    assert.ok(['docs/a.txt', 'docs/b.txt'].includes(index.getByFileId(a.fileId)?.name ?? ''))
    assert.equal(index.getByName('report.pdf')?.path, report)
    const s = index.stats()
    assert.equal(s.files, 5)
    assert.equal(s.bytes, 4 + 4 + 3 + 4 + 3)
    assert.equal(s.hashed, 5)
    assert.equal(s.cached, 0)
    assert.equal(s.watching, 'native')
    await sleep(100)
    assert.equal(log.deltas.length, 0, 'the initial scan is a snapshot, not a delta')
  })

  it('re-hashes nothing when restarted over an unchanged folder', async () => {
    for (let i = 0; i < 20; i++) await put(share, `d${i % 3}/f ${i}.txt`, `content ${i}`)
    const first = await startIndex()
    assert.equal(first.stats().hashed, 20)
    const ids = new Map(first.files().map(f => [f.name, f.fileId.toString()]))
    await first.stop()
    const second = await startIndex()
    assert.equal(second.stats().hashed, 0)
    assert.equal(second.stats().cached, 20)
    assert.deepEqual(new Map(second.files().map(f => [f.name, f.fileId.toString()])), ids)
  })

  it('cachedFirst: shares the cached files before its scan, which then corrects what changed while stopped', async () => {
    await put(share, 'keep.txt', 'keep')
    await put(share, 'change.txt', 'version one')
    await put(share, 'gone.txt', 'gone')
    const first = await startIndex()
    const before = new Map(first.files().map(f => [f.name, f]))
    await first.stop()
    await put(share, 'change.txt', 'version two, longer')
    await rm(join(share, 'gone.txt'))
    await put(share, 'new.txt', 'new')

    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: FAST_WATCH, flushMs: 20 })
    indexes.push(index)
    const log = new DeltaLog(index)
    await index.start({ cachedFirst: true, deferWatch: true })
    // as the cache knew them, unseen: the old version of change.txt included (the chunk server
    // checks its change key on open and refuses it, see test/hardening/stale-content.spec)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['change.txt', 'gone.txt', 'keep.txt'])
    for (const f of index.files()) {
      const was = before.get(f.name)
      assert.ok(was != null)
      assert.ok(f.fileId.equals(was.fileId))
      assert.deepEqual([f.path, f.size, f.mtimeMs, f.ctimeMs, f.ino, f.dev], [was.path, was.size, was.mtimeMs, was.ctimeMs, was.ino, was.dev])
    }
    assert.equal(index.stats().scanMs, 0, 'not scanned yet: the scan waits for startWatching()')

    index.startWatching()
    await index.scanned()
    const changed = await hashFile(join(share, 'change.txt'))
    assert.deepEqual(index.files().map(f => f.name).sort(), ['change.txt', 'keep.txt', 'new.txt'])
    assert.ok(index.getByName('change.txt')?.fileId.equals(changed.fileId))
    assert.equal(index.getByFileId(before.get('change.txt')!.fileId), undefined, 'the old version is gone')
    const s = index.stats()
    assert.deepEqual([s.hashed, s.cached], [2, 1])
    assert.ok(s.scanMs > 0)
    // what the scan corrected went out as changes (the snapshot was read before it)
    await waitFor('the corrections sent', () => log.added.includes('new.txt') && log.removed.includes('gone.txt'))
    assert.ok(log.added.includes('change.txt'))
    await index.watched()
    assert.equal(index.stats().watching, 'native')
  })

  it('cachedFirst: a name held by two roots is shared once, with consistent totals, whichever row comes first', async () => {
    await put(share, 'a.txt', 'a')
    await put(share, 'b.txt', 'share b')
    await put(share, 'photos/x.jpg', 'share x')
    // an extra folder whose rows come before the share folder's, a single file's after them
    const early = await tempDir('aaa')
    const late = await tempDir('zzz')
    dirs.push(early, late)
    await put(early, 'x.jpg', 'extra x, longer')
    const single = await put(late, 'b.txt', 'extra b, longer')
    // first shared under names of their own, so that every file has its row
    const first = await startIndex({ roots: [{ path: share }, { path: early, name: 'pics' }, { path: single, name: 'c.txt' }], watch: false })
    assert.equal(first.stats().hashed, 5)
    await first.stop()
    const roots = [{ path: share }, { path: early, name: 'photos' }, { path: single, name: 'b.txt' }]

    const index = new ShareIndex({ dataDir: data, roots, watch: false })
    indexes.push(index)
    await index.start({ cachedFirst: true, deferWatch: true })
    const files = index.files()
    assert.deepEqual(files.map(f => f.name).sort(), ['a.txt', 'b.txt', 'photos/x.jpg'])
    const s = index.stats()
    assert.equal(s.files, 3)
    assert.equal(s.bytes, files.reduce((n, f) => n + f.size, 0))
    assert.equal(index.roots().reduce((n, r) => n + r.files, 0), 3)
    for (const f of files) {
      assert.equal(index.getByFileId(f.fileId)?.name, f.name)
      assert.equal((await stat(f.path)).size, f.size, `${f.name} is the file at its path`)
    }
  })

  it('cachedFirst with the data dir inside the share folder shares the cached files, never the data dir', async () => {
    await put(share, 'a.txt', 'a')
    await put(share, 'sub/b.txt', 'b')
    data = join(share, 'state')
    await put(data, 'key', 'private key')
    const first = await startIndex({ watch: false })
    await first.stop()
    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    indexes.push(index)
    await index.start({ cachedFirst: true, deferWatch: true })
    assert.deepEqual(index.files().map(f => f.name).sort(), ['a.txt', 'sub/b.txt'])
    assert.equal(index.getByName('sub/b.txt')?.path, join(share, 'sub/b.txt'))
    assert.equal(index.stats().scanMs, 0, 'shared from the cache, not scanned')
  })

  it('cachedFirst with nothing cached (a first start) waits for the scan', async () => {
    await put(share, 'a.txt', 'a')
    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    indexes.push(index)
    await index.start({ cachedFirst: true })
    assert.deepEqual(index.files().map(f => f.name), ['a.txt'])
    assert.ok(index.stats().scanMs > 0)
  })

  it('sends added, changed, renamed and removed files as deltas', async () => {
    await put(share, 'keep.txt', 'keep')
    await put(share, 'change.txt', 'v1')
    await put(share, 'old name.txt', 'rename me')
    await put(share, 'dir/gone.txt', 'gone')
    const index = await startIndex()
    const log = new DeltaLog(index)
    const before = index.getByName('change.txt')?.fileId

    await put(share, 'new/été.txt', 'new')
    await waitFor('add', () => log.added.includes('new/été.txt'))
    await put(share, 'change.txt', 'v2 is longer')
    await waitFor('change', () => log.added.includes('change.txt'))
    const after = index.getByName('change.txt')
    assert.equal(after?.size, 12)
    assert.ok(before != null && after != null && !after.fileId.equals(before))
    assert.equal(index.getByFileId(before), undefined)
    await rename(join(share, 'old name.txt'), join(share, 'new name.txt'))
    await waitFor('rename', () => log.removed.includes('old name.txt') && log.added.includes('new name.txt'))
    await rm(join(share, 'dir'), { recursive: true })
    await waitFor('delete', () => log.removed.includes('dir/gone.txt'))

    assert.deepEqual(index.files().map(f => f.name).sort(), ['change.txt', 'keep.txt', 'new name.txt', 'new/été.txt'])
    assert.ok(!log.added.includes('keep.txt'))
    assert.ok(index.stats().hashed >= 4 + 3)
  })

  it('catches up with what changed between the scan and the watches being set up', async () => {
    // the watcher is set up after the scan (the share is served meanwhile): a file changed,
    // added or removed in between is found by comparing the watcher's first walk with the index
    await put(share, 'keep.txt', 'keep')
    await put(share, 'change.txt', 'v1')
    await put(share, 'dir/gone.txt', 'gone')
    let changed = false
    const beforeNative = (): void => {
      if (!changed) {
        changed = true
        // runs after the scan, before the watcher walks the tree; old enough to count as written
        execFileSync('sh', ['-c', 'printf "version 2" > change.txt && printf new > added.txt && rm dir/gone.txt && touch -d "-5 seconds" change.txt added.txt'], { cwd: share })
      }
    }
    const index = await startIndex({ watch: { ...FAST_WATCH, beforeNative } })
    const before = index.getByName('change.txt')?.fileId
    assert.deepEqual(index.files().map(f => f.name).sort(), ['change.txt', 'dir/gone.txt', 'keep.txt'])
    await index.watched()
    await index.settled()
    assert.ok(changed)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['added.txt', 'change.txt', 'keep.txt'])
    assert.equal(index.getByName('change.txt')?.size, 9)
    assert.ok(before != null && !index.getByName('change.txt')?.fileId.equals(before))
    // the unchanged file was not hashed again: only the initial three and the two new contents
    assert.equal(index.stats().hashed, 5)
  })

  it('does not announce a file while it is still being written', async () => {
    // writes 100 ms apart; the file counts as written once it held still for 600 ms
    const index = await startIndex({ watch: { ...FAST_WATCH, stabilityMs: 600 } })
    const log = new DeltaLog(index)
    const fh = await open(join(share, 'slow.bin'), 'w')
    const started = Date.now()
    for (let i = 0; i < 10; i++) {
      await fh.write(new Uint8Array(4096).fill(i))
      await sleep(100)
      assert.equal(index.getByName('slow.bin'), undefined, `announced after ${Date.now() - started} ms, mid-write`)
    }
    await fh.close()
    await waitFor('stable file', () => log.added.includes('slow.bin'))
    assert.equal(index.getByName('slow.bin')?.size, 40960)
    assert.equal(log.added.filter(n => n === 'slow.bin').length, 1)
  })

  it('shares symlinks that stay inside, and no symlink out, fifo or partial download', async () => {
    const outside = await tempDir('outside')
    dirs.push(outside)
    await put(outside, 'secret.txt', 'secret')
    await put(share, 'real/in.txt', 'in')
    await symlink(join(share, 'real'), join(share, 'alias'))
    await symlink(outside, join(share, 'out'))
    await symlink(join(outside, 'secret.txt'), join(share, 'secret-link.txt'))
    execFileSync('mkfifo', [join(share, 'pipe')])
    await put(share, '.fsnode-partial/dl.part', 'partial')
    const index = await startIndex()
    const log = new DeltaLog(index)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['alias/in.txt', 'real/in.txt'])
    // a change at the link's target reaches the link's name too
    await put(share, 'real/second.txt', 'two')
    await waitFor('both names', () => log.added.includes('real/second.txt') && log.added.includes('alias/second.txt'))
    await symlink(join(outside, 'secret.txt'), join(share, 'later-out.txt'))
    await put(share, '.fsnode-partial/dl2.part', 'partial')
    await put(share, 'marker.txt', 'm')
    await waitFor('marker', () => log.added.includes('marker.txt'))
    await sleep(100)
    assert.ok(!log.added.some(n => n.includes('out') || n.includes('fsnode')), log.added.join())
  })

  it('adds and removes extra roots', async () => {
    await put(share, 'a.txt', 'a')
    const photos = await tempDir('extra')
    dirs.push(photos)
    await put(photos, 'p/1.jpg', '1')
    await put(photos, '2.jpg', '2')
    const index = await startIndex()
    const log = new DeltaLog(index)
    const info = await index.addRoot(photos, 'photos')
    assert.deepEqual({ name: info.name, files: info.files, bytes: info.bytes }, { name: 'photos', files: 2, bytes: 2 })
    assert.deepEqual(log.added.sort(), ['photos/2.jpg', 'photos/p/1.jpg'])
    await assert.rejects(index.addRoot(photos, 'again'), (err: Error) => err instanceof ShareFolderError && err.message === `${photos} is already shared`)
    await assert.rejects(index.addRoot(join(share), 'x'), (err: Error) => err instanceof ShareFolderError && /is already shared/.test(err.message))
    await assert.rejects(index.addRoot(join(share, 'missing')), (err: Error) => err instanceof ShareFolderError && /: it does not exist$/.test(err.message))
    // the new root is watched
    await put(photos, '3.jpg', '3')
    await waitFor('watched', () => log.added.includes('photos/3.jpg'))
    log.clear()
    const removed = await index.removeRoot(photos)
    assert.equal(removed?.files, 3)
    assert.deepEqual(log.removed.sort(), ['photos/2.jpg', 'photos/3.jpg', 'photos/p/1.jpg'])
    assert.deepEqual(index.files().map(f => f.name), ['a.txt'])
    await assert.rejects(index.removeRoot(share), (err: Error) => err instanceof ShareFolderError && /is the share folder; it cannot be unshared$/.test(err.message))
  })

  it('re-hashes a file reported changed behind its back', async () => {
    const path = await put(share, 'quiet.txt', 'aaaa')
    const index = await startIndex()
    const log = new DeltaLog(index)
    const old = index.getByName('quiet.txt')
    assert.ok(old != null)
    // same size, same mtime: invisible to stat, found by a chunk that did not match
    const { atime, mtime } = await stat(path)
    await writeFile(path, 'bbbb')
    await utimes(path, atime, mtime)
    index.revalidate(old)
    await waitFor('revalidated', () => log.added.includes('quiet.txt'))
    assert.ok(!index.getByName('quiet.txt')?.fileId.equals(old.fileId))
    assert.equal(index.getByFileId(old.fileId), undefined)
  })

  it('shares a file it was told the manifest of without hashing it', async () => {
    const index = await startIndex()
    const log = new DeltaLog(index)
    const staging = await tempDir('dl')
    dirs.push(staging)
    const tmp = await put(staging, 'done.bin', 'downloaded bytes')
    const manifest = await hashFile(tmp)
    const hashedBefore = index.stats().hashed
    // a finished download: moved into place, then remembered before the watcher reports it
    const dest = join(share, 'done.bin')
    await rename(tmp, dest)
    await index.remember(dest, manifest)
    await waitFor('announced', () => log.added.includes('done.bin'))
    assert.equal(index.stats().hashed, hashedBefore)
    assert.ok(index.getByName('done.bin')?.fileId.equals(manifest.fileId))
  })

  it('never shares its data dir, even inside the share folder', async () => {
    await put(share, 'a.txt', 'a')
    data = join(share, 'state')
    await put(data, 'key', 'private key')
    const index = await startIndex()
    const log = new DeltaLog(index)
    assert.deepEqual(index.files().map(f => f.name), ['a.txt'])
    await put(data, 'more', 'x')
    await put(share, 'marker.txt', 'm')
    await waitFor('marker', () => log.added.includes('marker.txt'))
    await sleep(100)
    assert.deepEqual(log.added, ['marker.txt'])
  })

  it('shares a single file under its own name, and refuses a missing share folder', async () => {
    const elsewhere = await tempDir('file')
    dirs.push(elsewhere)
    const report = await put(elsewhere, 'report.pdf', 'pdf')
    const index = await startIndex()
    const info = await index.addRoot(report)
    assert.deepEqual({ name: info.name, kind: info.kind, files: info.files }, { name: 'report.pdf', kind: 'file', files: 1 })
    assert.equal(index.getByName('report.pdf')?.path, report)
    await assert.rejects(index.addRoot(join(elsewhere), 'report.pdf'), /already used/)
    const missing = new ShareIndex({ dataDir: data, roots: [{ path: join(share, 'nope') }], watch: false })
    await assert.rejects(missing.start(), (err: Error) => err instanceof ShareFolderError && /it does not exist/.test(err.message))
  })

  it('falls back to polling and says so when native watches run out', async () => {
    await put(share, 'a.txt', 'a')
    // fs.watch fails as it does once the kernel's inotify watches are used up
    const realWatch = fs.watch
    const beforeNative = (): void => {
      fs.watch = () => { throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }) }
      syncBuiltinESMExports()
    }
    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: { ...FAST_WATCH, beforeNative }, flushMs: 20 })
    indexes.push(index)
    const warnings: string[] = []
    index.addEventListener('warning', evt => warnings.push(evt.detail))
    try {
      await index.start()
      await waitFor('polling', () => index.stats().watching === 'polling')
    } finally {
      fs.watch = realWatch
      syncBuiltinESMExports()
    }
    const log = new DeltaLog(index)
    assert.match(index.stats().lastError ?? '', /ENOSPC/)
    assert.equal(warnings.length, 1)
    await put(share, 'b.txt', 'b')
    await waitFor('polled add', () => log.added.includes('b.txt'))
  })
})
