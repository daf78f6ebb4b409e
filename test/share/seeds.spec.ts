// Seeds (files this node downloaded) join the share index in one update each group, as roots of
// their own checked by device and inode: only the file the download left is ever shared, now,
// after a later change, and after a restart.
import assert from 'node:assert/strict'
import { lstat, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HashCache } from '../../src/share/hash-cache.js'
import { ShareIndex } from '../../src/share/share-index.js'
import { shareFile } from '../transfer/helpers.js'
import type { Seed } from '../../src/share/share-index.js'
import { DeltaLog, FAST_WATCH, cachedManifest, put, removeDirs, tempDir, waitFor } from './helpers.js'

async function identity (path: string): Promise<{ dev: number, ino: number }> {
  const st = await lstat(path)
  return { dev: st.dev, ino: st.ino }
}

/** A seed of the file at `path` as a download leaves it: its identity and verified manifest. */
async function seedOf (path: string, name: string): Promise<Seed> {
  return { path, name, identity: await identity(path), manifest: (await shareFile(path, name)).manifest }
}

describe('share/share-index: seeds', () => {
  const dirs: string[] = []
  let index: ShareIndex | undefined

  afterEach(async () => {
    await index?.stop()
    index = undefined
    await removeDirs(dirs)
  })

  it('adds many seeds in one delta; one that is not the file written is neither shared nor kept as a root', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const out = await tempDir('out')
    dirs.push(share, data, out)
    index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: FAST_WATCH, flushMs: 1 })
    await index.start()
    const log = new DeltaLog(index)
    const seeds: Seed[] = []
    for (let i = 0; i < 50; i++) {
      const path = await put(out, `d${i % 5}/f${i}.bin`, `file ${i}`)
      seeds.push(await seedOf(path, `photos/d${i % 5}/f${i}.bin`))
    }
    // the last one is not the file "written": another inode
    const other = await put(out, 'other.bin', 'x')
    seeds[49] = { ...seeds[49], identity: await identity(other) }
    const shared = await index.addSeeds(seeds)
    assert.equal(shared.length, 49)
    assert.equal(log.deltas.length, 1, 'one delta for the group')
    assert.equal(log.added.length, 49)
    assert.equal(index.getByName(seeds[49].name), undefined)
    assert.equal(index.roots().some(r => r.path === seeds[49].path), false)
    assert.equal(index.roots().length, 50, 'the share folder and 49 seeds')

    // replaced afterwards (renamed over, swapped for a link): dropped, the new content not shared
    await writeFile(join(out, 'new.tmp'), 'another file')
    await rename(join(out, 'new.tmp'), seeds[0].path)
    await symlink(other, join(out, 'link.tmp'))
    await rename(join(out, 'link.tmp'), seeds[1].path)
    await waitFor('replaced seeds dropped', () => index?.getByName(seeds[0].name) == null && index?.getByName(seeds[1].name) == null, 10_000)
    await index.settled()
    assert.equal(index.getByName(seeds[0].name), undefined)
    assert.equal(index.files().some(f => f.path === other), false)
    assert.equal(index.size, 47)

    // downloaded again to the same path (a new file there): the new file is the seed now
    const again = await seedOf(seeds[0].path, seeds[0].name)
    assert.deepEqual(await index.addSeeds([again]), [seeds[0].path])
    assert.equal(index.getByName(seeds[0].name)?.size, 'another file'.length)
  })

  it('a seed\'s hash cache row is on disk when addSeeds resolves (before the caller records the seed)', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const out = await tempDir('out')
    dirs.push(share, data, out)
    index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: false })
    await index.start()
    const seed = await seedOf(await put(out, 'seed.bin', 'seeded'), 'seed.bin')
    assert.deepEqual(await index.addSeeds([seed]), [seed.path])
    // another connection, as the next start opens it: the row is committed, not pending
    const other = new HashCache(data)
    try {
      const rows = [...other.entries()]
      assert.deepEqual(rows.map(r => r.path), [seed.path])
      assert.ok(cachedManifest(rows[0]).fileId.equals(seed.manifest.fileId))
    } finally {
      other.close()
    }
  })

  it('after a restart a seed is shared only if its path still holds the file written', async () => {
    const share = await tempDir('root')
    const data = await tempDir('data')
    const out = await tempDir('out')
    dirs.push(share, data, out)
    const kept = await put(out, 'kept.bin', 'kept')
    const swapped = await put(out, 'swapped.bin', 'swapped')
    const ids = { kept: await identity(kept), swapped: await identity(swapped) }
    await writeFile(join(out, 'x.tmp'), 'replaced while the node was down')
    await rename(join(out, 'x.tmp'), swapped)
    index = new ShareIndex({
      dataDir: data,
      roots: [{ path: share }, { path: kept, name: 'kept.bin', expect: ids.kept }, { path: swapped, name: 'swapped.bin', expect: ids.swapped }],
      watch: false
    })
    const warnings: string[] = []
    index.addEventListener('warning', e => { warnings.push(String((e as CustomEvent).detail)) })
    await index.start()
    assert.deepEqual(index.files().map(f => f.name), ['kept.bin'])
    assert.deepEqual(index.roots().map(r => r.name), ['', 'kept.bin'])
    assert.match(warnings.join('\n'), /swapped\.bin is no longer the file downloaded there/)
  })
})
