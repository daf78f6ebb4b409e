// The extra-shares list (shares.json): a user's share is on disk when add() resolves; seeds
// (one per finished download) are written together, at most one write per delay, and at flush()
// when the node stops, so a get no longer rewrites a list that grows with every download.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SHARES_FILE, ShareList } from '../../src/node/share-list.js'

describe('node/share-list', () => {
  let dir: string
  const onDisk = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, SHARES_FILE), 'utf8'))
  const exists = async (): Promise<boolean> => await stat(join(dir, SHARES_FILE)).then(() => true, () => false)

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'fsnode-share-list-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes seeds together at flush(); a user share and a removal at once', async () => {
    const list = new ShareList(dir, 60_000) // no timer fires within the test: only flush() writes
    await list.load()
    await list.add({ path: '/dl/a', name: 'a', kind: 'seed' })
    await list.add({ path: '/dl/b', name: 'b', kind: 'seed' })
    assert.equal(await exists(), false, 'seeds wait for the delayed write')
    assert.deepEqual(list.list().map(s => s.path), ['/dl/a', '/dl/b'])
    await list.flush()
    assert.deepEqual(await onDisk(), [{ path: '/dl/a', name: 'a', kind: 'seed' }, { path: '/dl/b', name: 'b', kind: 'seed' }])

    await list.add({ path: '/dl/c', kind: 'seed' })
    await list.add({ path: '/photos', kind: 'share' })
    // the user's share is written at once, with the seed before it
    assert.deepEqual((await onDisk() as any[]).map(s => s.path), ['/dl/a', '/dl/b', '/dl/c', '/photos'])
    // added again: moves to the end, once
    await list.add({ path: '/dl/a', name: 'a', kind: 'seed' })
    assert.equal(await list.remove('/dl/b'), true)
    assert.equal(await list.remove('/nowhere'), false)
    assert.deepEqual((await onDisk() as any[]).map(s => s.path), ['/dl/c', '/photos', '/dl/a'])

    const again = new ShareList(dir)
    assert.deepEqual((await again.load()).map(s => s.path), ['/dl/c', '/photos', '/dl/a'])
  })

  it('a delayed write lands by itself; many concurrent saves leave one whole list', async () => {
    const list = new ShareList(dir, 50)
    await list.load()
    await list.add({ path: '/dl/x', kind: 'seed' })
    const until = Date.now() + 10_000
    while (!(await exists()) && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 20))
    assert.deepEqual(await onDisk(), [{ path: '/dl/x', kind: 'seed' }])
    await Promise.all(Array.from({ length: 20 }, async (_, i) => { await list.add({ path: `/s/${i}`, kind: 'share' }) }))
    await list.flush()
    assert.deepEqual((await onDisk() as any[]).length, 21)
  })
})
