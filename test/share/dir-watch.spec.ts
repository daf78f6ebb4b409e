import assert from 'node:assert/strict'
import { mkdir, rename, rm, symlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { DirWatch } from '../../src/share/dir-watch.js'
import { isInternalName } from '../../src/share/scanner.js'
import { put, removeDirs, tempDir, waitFor } from './helpers.js'

describe('share/dir-watch: one native watch per folder', () => {
  const dirs: string[] = []
  let root: string
  let watch: DirWatch | undefined
  let events: Array<[string, 'file' | 'gone']>
  const seen = (p: string, kind?: 'file' | 'gone'): boolean => events.some(([path, k]) => path === p && (kind == null || k === kind))

  beforeEach(async () => {
    dirs.push(root = await tempDir('dirwatch'))
    events = []
  })
  afterEach(async () => {
    watch?.close()
    watch = undefined
    await removeDirs(dirs)
  })

  function start (): DirWatch {
    return new DirWatch({
      ignored: path => isInternalName(basename(path)),
      onChange: (path, kind) => { events.push([path, kind]) },
      onError: err => { throw err }
    })
  }

  it('walks the tree once: a watch per folder, every file given with its lstat', async () => {
    for (let i = 0; i < 30; i++) await put(root, `d${i % 3}/sub/f${i}.txt`, `${i}`)
    await put(root, '.fsnode-partial/x.part', 'x')
    const found = new Map<string, number>()
    watch = start()
    await watch.add(root, (path, st) => { found.set(path, st.size) })
    // root, d0..d2 and their sub folders; not the node's own folder, nothing per file
    assert.equal(watch.size, 7)
    assert.equal(found.size, 30)
    assert.equal(found.get(join(root, 'd1/sub/f1.txt')), 1)
    assert.ok(![...found.keys()].some(p => p.includes('.fsnode-')))
  })

  it('adds a root quietly when asked (its owner scans it), and reports a folder that appears in full', async () => {
    await put(root, 'old/a.txt', 'a')
    watch = start()
    await watch.add(root, null)
    assert.equal(watch.size, 2)
    const outside = await tempDir('dirwatch-new')
    dirs.push(outside)
    await put(outside, 'x/1.txt', '1')
    await put(outside, 'x/2.txt', '2')
    await rename(join(outside, 'x'), join(root, 'x'))
    await waitFor('the new folder\'s files', () => seen(join(root, 'x/1.txt'), 'file') && seen(join(root, 'x/2.txt'), 'file'))
    assert.ok(!seen(join(root, 'old/a.txt')), 'nothing for the files there before')
  })

  it('stops watching a folder moved out and replaced by a symlink', async () => {
    await put(root, 'sub/a.txt', 'a')
    const outside = await tempDir('dirwatch-away')
    dirs.push(outside)
    watch = start()
    await watch.add(root, null)
    assert.equal(watch.size, 2)
    await rename(join(root, 'sub'), join(outside, 'away'))
    await symlink(join(outside, 'away'), join(root, 'sub'))
    await waitFor('the swap', () => seen(join(root, 'sub')))
    await waitFor('the old folder unwatched', () => watch?.size === 1)
    events = []
    await put(outside, 'away/secret.txt', 's')
    const marker = await put(root, 'marker.txt', 'm')
    await waitFor('marker', () => seen(marker))
    assert.ok(!events.some(([p]) => p.includes('secret')), 'nothing from the folder now outside')
  })

  it('reports files added, changed and removed, folders moved in and out, symlinks unfollowed', async () => {
    const a = await put(root, 'sub/a.txt', 'a')
    const outside = await tempDir('dirwatch-out')
    dirs.push(outside)
    const moved = await put(outside, 'incoming/deep/m.txt', 'm')
    watch = start()
    await watch.add(root)
    events = []

    const b = await put(root, 'sub/b.txt', 'b')
    await put(root, 'sub/a.txt', 'changed')
    await waitFor('add and change', () => seen(b, 'file') && seen(a, 'file'))

    // a folder moved in is watched and what it holds reported, however deep
    await rename(join(outside, 'incoming'), join(root, 'incoming'))
    const m = join(root, 'incoming/deep/m.txt')
    await waitFor('moved-in folder', () => seen(m, 'file'))
    const later = await put(root, 'incoming/deep/later.txt', 'l')
    await waitFor('a file in the moved-in folder', () => seen(later, 'file'))
    assert.equal(moved, join(outside, 'incoming/deep/m.txt'))

    await symlink(outside, join(root, 'link'))
    await waitFor('symlink', () => seen(join(root, 'link'), 'file'))
    const sizeWithLink = watch.size
    await put(outside, 'behind-link.txt', 'x')

    events = []
    await rm(join(root, 'incoming'), { recursive: true })
    await rm(b)
    await waitFor('removals', () => seen(join(root, 'incoming'), 'gone') && seen(b, 'gone'))
    assert.equal(watch.size, sizeWithLink - 2, 'the removed folders are no longer watched')
    assert.ok(!events.some(([p]) => p.includes('behind-link')), 'nothing behind a symlink')
    await mkdir(join(root, '.fsnode-partial'))
    await put(root, '.fsnode-partial/y.part', 'y')
    const marker = await put(root, 'marker.txt', 'm')
    await waitFor('marker', () => seen(marker))
    assert.ok(!events.some(([p]) => p.includes('.fsnode-')))
  })
})
