import assert from 'node:assert/strict'
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { ShareWatcher } from '../../src/share/watcher.js'
import { FAST_WATCH, put, removeDirs, tempDir, waitFor } from './helpers.js'

describe('share/watcher', () => {
  const dirs: string[] = []
  let root: string
  let watcher: ShareWatcher | undefined
  let batches: string[][]
  const seen = (p: string): boolean => batches.some(b => b.includes(p))

  beforeEach(async () => {
    dirs.push(root = await tempDir('watch'))
    batches = []
  })
  afterEach(async () => {
    await watcher?.close()
    watcher = undefined
    await removeDirs(dirs)
  })

  it('reports added, changed, renamed and removed files in debounced batches', async () => {
    const a = await put(root, 'sub/a.txt', 'a')
    watcher = new ShareWatcher({ ...FAST_WATCH, onBatch: paths => batches.push(paths) })
    await watcher.start([root])
    assert.equal(watcher.mode, 'native')
    const b = await put(root, 'sub/b.txt', 'b')
    const c = await put(root, 'new dir/c.txt', 'c')
    await waitFor('adds', () => seen(b) && seen(c))
    batches = []
    await put(root, 'sub/a.txt', 'changed')
    await waitFor('change', () => seen(a))
    batches = []
    await rename(b, join(root, 'sub/b2.txt'))
    await waitFor('rename', () => seen(b) && seen(join(root, 'sub/b2.txt')))
    batches = []
    await rm(join(root, 'new dir'), { recursive: true })
    await waitFor('removal', () => seen(join(root, 'new dir')))
  })

  it('ignores the node\'s own .fsnode- files', async () => {
    watcher = new ShareWatcher({ ...FAST_WATCH, onBatch: paths => batches.push(paths) })
    await watcher.start([root])
    await put(root, '.fsnode-partial/x.part', 'x')
    const marker = await put(root, 'marker.txt', 'm')
    await waitFor('marker', () => seen(marker))
    assert.ok(!batches.flat().some(p => p.includes('.fsnode-')))
  })

  it('falls back to polling when fs.watch runs out of inotify watches', async () => {
    for (let i = 0; i < 10; i++) await put(root, `d${i}/f.txt`, 'f')
    // make the real fs.watch fail the way the kernel does once max_user_watches is reached
    const realWatch = fs.watch
    let calls = 0
    fs.watch = function (this: unknown, ...args: any[]) {
      if (++calls > 3) {
        throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${String(args[0])}'`), { code: 'ENOSPC', errno: -28, syscall: 'watch' })
      }
      return (realWatch as any).apply(this, args)
    } as typeof fs.watch
    syncBuiltinESMExports()
    const warnings: string[] = []
    try {
      watcher = new ShareWatcher({ ...FAST_WATCH, onBatch: paths => batches.push(paths), onFallback: message => warnings.push(message) })
      await watcher.start([root])
      await waitFor('fallback', () => watcher?.mode === 'polling' && seen(root))
    } finally {
      fs.watch = realWatch
      syncBuiltinESMExports()
    }
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /ENOSPC.*max_user_watches.*polling every 200 ms/)
    assert.match(watcher.lastError ?? '', /ENOSPC/)
    const p = await put(root, 'd7/polled.txt', 'p')
    await waitFor('polled change', () => seen(p))
  })
})
