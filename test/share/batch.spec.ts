import assert from 'node:assert/strict'
import { batchTargets } from '../../src/share/batch.js'

describe('share/batch: the paths a watcher batch is reconciled at', () => {
  it('puts a folder first and instead of the paths inside it', () => {
    assert.deepEqual(batchTargets(['/s/a/b/c.txt', '/s/a', '/s/x.txt', '/s/a/d.txt'], new Map()), ['/s/a', '/s/x.txt'])
  })

  it('adds each path again through the followed symlinks whose target holds it', () => {
    const aliases = new Map([['/s/link', '/elsewhere/real'], ['/s/other', '/nowhere']])
    assert.deepEqual(batchTargets(['/elsewhere/real/f.txt'], aliases), ['/s/link/f.txt', '/elsewhere/real/f.txt'])
  })

  it('keeps a sibling whose name only starts like a listed folder', () => {
    assert.deepEqual(batchTargets(['/s/ab/f', '/s/a'], new Map()), ['/s/a', '/s/ab/f'])
  })
})
