// The root operations on their own: a RootOps over a real RootSet and FileTable and real folders,
// with the index's queue, watcher and hashing stood in by a target that records what it is asked.
// What unsharing a root takes away, and what it must leave, is checked here without a ShareIndex.
import assert from 'node:assert/strict'
import { lstat, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { ShareFolderError } from '../../src/share/errors.js'
import { FileTable } from '../../src/share/file-table.js'
import { RootOps } from '../../src/share/root-ops.js'
import { RootSet, resolveRoot } from '../../src/share/roots.js'
import { IndexedFile } from '../../src/share/shared-file.js'
import { shareFile } from '../transfer/helpers.js'
import type { RootOpsTarget } from '../../src/share/root-ops.js'
import type { Root } from '../../src/share/roots.js'
import { put, removeDirs, tempDir } from './helpers.js'

/** A RootOps whose target records the index operations it asks for, in `calls`. */
function rootOps (): { ops: RootOps, roots: RootSet, table: FileTable, aliases: Map<string, string>, calls: string[], stop: () => void } {
  const roots = new RootSet()
  const table = new FileTable()
  const aliases = new Map<string, string>()
  const calls: string[] = []
  let running = true
  const target: RootOpsTarget = {
    roots,
    aliases,
    table,
    running: () => running,
    enqueue: async fn => { await fn() },
    inOneDelta: async fn => { calls.push('one delta'); fn() },
    settled: async () => {},
    reconcile: async root => { calls.push(`reconcile ${root.name}`) },
    watcher: () => ({ add: path => { calls.push(`watch ${path}`) }, remove: path => { calls.push(`unwatch ${path}`) } }),
    drop: name => { calls.push(`drop ${name}`); table.delete(name) },
    cancelHashing: root => { calls.push(`cancel hashing ${root.name}`) },
    set: (root, name, f, manifest) => { table.set(new IndexedFile(name, root, f.path, f, manifest)) },
    cache: () => undefined
  }
  return { ops: new RootOps(target), roots, table, aliases, calls, stop: () => { running = false } }
}

/** Put the file at `path` in the table under `name`, as a scan of `root` would. */
async function index (table: FileTable, root: Root, path: string, name: string): Promise<void> {
  const st = await lstat(path)
  const real = await realpath(path)
  const file = { path: real, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev }
  table.set(new IndexedFile(name, root, real, file, (await shareFile(path, name)).manifest))
}

describe('share/root-ops', () => {
  const dirs: string[] = []

  afterEach(async () => {
    await removeDirs(dirs)
  })

  it('unsharing a folder takes its files, watch, hashing and links, in one delta, and leaves the other roots\' alone', async () => {
    const a = await tempDir('a')
    const b = await tempDir('b')
    dirs.push(a, b)
    const { ops, roots, table, aliases, calls } = rootOps()
    const rootA = await resolveRoot(a, 'a')
    const rootB = await resolveRoot(b, 'b')
    roots.add(rootA)
    roots.add(rootB)
    await index(table, rootA, await put(a, 'x.txt', 'xx'), 'a/x.txt')
    await index(table, rootA, await put(a, 'sub/y.txt', 'yyy'), 'a/sub/y.txt')
    await index(table, rootB, await put(b, 'z.txt', 'z'), 'b/z.txt')
    aliases.set(join(rootA.real, 'link'), '/elsewhere')
    aliases.set(join(rootB.real, 'link'), '/elsewhere')

    const info = await ops.remove(a)
    assert.deepEqual(info, { path: rootA.path, name: 'a', kind: 'dir', files: 2, bytes: 5 })
    assert.deepEqual(calls.slice().sort(), ['cancel hashing a', 'drop a/sub/y.txt', 'drop a/x.txt', 'one delta', `unwatch ${rootA.real}`])
    assert.deepEqual([...table.entries()].map(([name]) => name), ['b/z.txt'])
    assert.deepEqual([...aliases.keys()], [join(rootB.real, 'link')])
    assert.deepEqual(ops.list().map(r => [r.name, r.files, r.bytes]), [['b', 1, 1]])
    assert.equal(await ops.remove(a), undefined, 'no longer a root')
  })

  it('adds a root watched and scanned, refuses to unshare the share folder, and refuses everything once stopped', async () => {
    const share = await tempDir('share')
    const extra = await tempDir('extra')
    dirs.push(share, extra)
    const { ops, calls, stop } = rootOps()
    await ops.addConfigured([{ path: share }], () => { assert.fail('the share folder is shared') })
    const added = await ops.add(extra, 'extra')
    assert.deepEqual([added.name, added.kind, added.files], ['extra', 'dir', 0])
    assert.deepEqual(calls, [`watch ${await realpath(extra)}`, 'reconcile extra'])
    await assert.rejects(ops.remove(share), (err: Error) => err instanceof ShareFolderError && /is the share folder/.test(err.message))
    stop()
    await assert.rejects(ops.add(extra, 'again'), (err: Error) => err instanceof ShareFolderError && /not running/.test(err.message))
    await assert.rejects(ops.remove(extra), ShareFolderError)
    await assert.rejects(ops.addSeeds([]), ShareFolderError)
  })
})
