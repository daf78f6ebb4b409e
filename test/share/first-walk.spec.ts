import assert from 'node:assert/strict'
import { FirstWalk } from '../../src/share/first-walk.js'
import type { WalkedFile } from '../../src/share/first-walk.js'
import type { FileKey } from '../../src/share/file-key.js'
import type { Stats } from 'node:fs'

const stats = (ino: number, size: number, mtimeMs: number): Stats => ({ ino, dev: 1, size, ctimeMs: mtimeMs, mtimeMs } as unknown as Stats)

/** An indexed file with its walk mark, as IndexedFile keeps it in its record. */
function file (key: FileKey & { path: string }): WalkedFile {
  let seen = 0
  return { ...key, mark: walk => { seen = walk }, seenSince: walk => seen >= walk }
}

describe('share: the watcher\'s first walk against the scan', () => {
  it('reports changed, vanished and new paths; recent writes settle; the rest is left alone', () => {
    const indexed = [
      file({ path: '/s/same', ino: 1, dev: 1, size: 10, ctimeMs: 1_000 }),
      file({ path: '/s/grown', ino: 2, dev: 1, size: 10, ctimeMs: 1_000 }),
      file({ path: '/s/gone', ino: 3, dev: 1, size: 10, ctimeMs: 1_000 })
    ]
    const walk = new FirstWalk(path => indexed.find(f => f.path === path))
    walk.record('/s/same', stats(1, 10, 1_000))
    walk.record('/s/grown', stats(2, 20, 1_000))
    walk.record('/s/new', stats(4, 5, 1_000))
    walk.record('/s/writing', stats(5, 5, 9_900))
    const { changed, settling } = walk.diff(indexed, 500, 10_000)
    assert.deepEqual(changed.sort(), ['/s/gone', '/s/grown', '/s/new'])
    assert.deepEqual(settling, ['/s/writing'])
    // the walk is forgotten: a second diff sees every indexed path as vanished
    assert.deepEqual(walk.diff(indexed.slice(0, 1), 500, 10_000).changed, ['/s/same'])
  })
})
