// roots() keeps per-root totals as files come and go (it used to count them with a pass over
// every shared file per root: with one root per seeded download, a get's cost grew with the
// node's downloads), and isUnderFolderRoot tells seeding whether the watcher covers a path.
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShareIndex } from '../../src/share/share-index.js'
import { DeltaLog, FAST_WATCH, put, removeDirs, tempDir, waitFor } from './helpers.js'

describe('share/share-index: per-root totals', () => {
  const dirs: string[] = []
  let index: ShareIndex | undefined

  afterEach(async () => {
    await index?.stop()
    index = undefined
    await removeDirs(dirs)
  })

  it('roots() reports each root\'s files and bytes through adds, changes, removals and unshares', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const extra = await tempDir('extra')
    const seeds = await tempDir('seeds')
    dirs.push(share, data, extra, seeds)
    await put(share, 'a.txt', 'aaaa')
    await put(share, 'sub/b.txt', 'bb')
    await put(extra, 'x.bin', 'xxx')
    index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: FAST_WATCH, flushMs: 20 })
    await index.start()
    const log = new DeltaLog(index)
    const totals = (): Record<string, [number, number]> =>
      Object.fromEntries((index as ShareIndex).roots().map(r => [r.name, [r.files, r.bytes]]))

    const one = await put(seeds, 'one.bin', '1')
    const two = await put(seeds, 'two.bin', '22')
    assert.deepEqual(await index.addRoot(one, 'one.bin').then(r => [r.files, r.bytes]), [1, 1])
    assert.deepEqual(await index.addRoot(two, 'two.bin').then(r => [r.files, r.bytes]), [1, 2])
    await index.addRoot(extra, 'extra')
    assert.deepEqual(totals(), { '': [2, 6], 'one.bin': [1, 1], 'two.bin': [1, 2], extra: [1, 3] })

    // a file grows, another appears, one is deleted: the totals follow the watcher
    await writeFile(join(extra, 'x.bin'), 'xxxxxxx')
    await put(extra, 'y.bin', 'yy')
    await rm(join(share, 'sub/b.txt'))
    await waitFor('changes indexed', () => log.removed.includes('sub/b.txt') && log.added.includes('extra/y.bin') &&
      index?.getByName('extra/x.bin')?.size === 7, 10_000)
    assert.deepEqual(totals(), { '': [1, 4], 'one.bin': [1, 1], 'two.bin': [1, 2], extra: [2, 9] })

    assert.equal((await index.removeRoot(one))?.files, 1)
    assert.deepEqual(totals(), { '': [1, 4], 'two.bin': [1, 2], extra: [2, 9] })
    // sharing the same file again starts from its own count, not a stale one
    assert.deepEqual(await index.addRoot(one, 'one.bin').then(r => [r.files, r.bytes]), [1, 1])
    assert.equal(index.stats().files, 5)
    assert.equal(index.stats().bytes, 4 + 1 + 2 + 9)
  })

  it('isUnderFolderRoot: true inside a shared folder, false for a shared file or a path outside', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const extra = await tempDir('extra')
    const seeds = await tempDir('seeds')
    dirs.push(share, data, extra, seeds)
    const file = await put(seeds, 'f.bin', 'f')
    index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    await index.start()
    await index.addRoot(extra, 'extra')
    await index.addRoot(file, 'f.bin')
    assert.equal(index.isUnderFolderRoot(join(share, 'new.bin')), true)
    assert.equal(index.isUnderFolderRoot(join(extra, 'deep', 'new.bin')), true)
    assert.equal(index.isUnderFolderRoot(join(seeds, 'g.bin')), false)
    assert.equal(index.isUnderFolderRoot(`${share}-sibling/new.bin`), false)
  })

  it('single shared files are watched through their folder: changes and deletions follow, siblings stay unshared', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const seeds = await tempDir('seeds')
    dirs.push(share, data, seeds)
    const a = await put(seeds, 'a.bin', 'aaaa')
    index = new ShareIndex({ dataDir: data, roots: [{ path: share }, { path: a, name: 'a.bin' }], watch: FAST_WATCH, flushMs: 20 })
    await index.start()
    const log = new DeltaLog(index)
    const b = await put(seeds, 'b.bin', 'bb')
    await index.addRoot(b, 'b.bin')
    await put(seeds, 'not-shared.bin', 'n')
    await writeFile(a, 'aaaaaaaa')
    await waitFor('a.bin re-hashed', () => index?.getByName('a.bin')?.size === 8, 10_000)
    await rm(b)
    await waitFor('b.bin dropped', () => log.removed.includes('b.bin'), 10_000)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['a.bin'])
    // unsharing one file of a folder keeps the others of that folder watched
    const c = await put(seeds, 'c.bin', 'c')
    await index.addRoot(c, 'c.bin')
    await index.removeRoot(a)
    await writeFile(c, 'cccccc')
    await waitFor('c.bin re-hashed', () => index?.getByName('c.bin')?.size === 6, 10_000)
    assert.deepEqual(index.files().map(f => f.name).sort(), ['c.bin'])
    assert.equal(log.added.includes('not-shared.bin'), false)
  })
})
