import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { IndexStore } from '../../src/index/store.js'
import { FTS_TOKENIZE, SCHEMA_VERSION } from '../../src/index/schema.js'
import { toFtsQuery } from '../../src/index/query.js'
import { Scene, fileIdOf } from './helpers.js'
import type { StoreEntry } from '../../src/index/store.js'

const A = 'peerA'
const B = 'peerB'

async function entry (name: string, size = 1): Promise<StoreEntry> {
  return { name, fileId: (await fileIdOf(name)).bytes, size, mtime: 7 }
}

async function entries (...names: string[]): Promise<StoreEntry[]> {
  return await Promise.all(names.map(async n => await entry(n)))
}

describe('index/store', () => {
  let scene: Scene
  let clock: number
  let store: IndexStore
  const now = (): number => clock

  beforeEach(() => {
    scene = new Scene()
    clock = 1_000_000
    store = new IndexStore(':memory:', { graceMs: 1000, now })
    scene.defer(async () => { store.close() })
  })
  afterEach(async () => { await scene.cleanup() })

  function names (page = store.list({ limit: 100 })): string[] {
    return page.entries.map(e => `${e.peerId}:${e.name}`)
  }

  it('a snapshot replaces everything the peer announced before, deltas add and remove', async () => {
    store.announce(A, { replace: true, entries: await entries('a.txt', 'b.txt') })
    store.announce(B, { replace: true, entries: await entries('b.txt') })
    assert.deepEqual(names(), ['peerA:a.txt', 'peerA:b.txt', 'peerB:b.txt'])

    store.announce(A, { replace: true, entries: await entries('c.txt') })
    assert.deepEqual(names(), ['peerB:b.txt', 'peerA:c.txt'])

    store.upsert(A, [await entry('d.txt', 5), await entry('c.txt', 9)])
    assert.equal(store.remove(A, ['c.txt', 'never.txt']), 1)
    assert.deepEqual(names(), ['peerB:b.txt', 'peerA:d.txt'])
    assert.equal(store.list({ limit: 10 }).entries[1].size, 5)
    assert.equal(store.count(A), 1)
    assert.deepEqual(store.search('c', { limit: 10 }).entries, [], 'withdrawn names leave the word index')
  })

  it('a snapshot re-stamps names announced again and leaves the rest to the collector', async () => {
    const settle = new IndexStore(':memory:', { graceMs: 1000, staleSettleMs: 5000, now, maxEntriesPerPeer: 4 })
    scene.defer(async () => { settle.close() })
    settle.announce(A, { replace: true, entries: await entries('keep.txt', 'gone.txt', 'later.txt') })
    settle.announce(A, { replace: true, entries: await entries('keep.txt') })
    const visible = (): string[] => settle.list({ limit: 10 }).entries.map(e => e.name)
    assert.deepEqual(visible(), ['keep.txt'], 'hidden at once, not only once collected')
    assert.deepEqual(settle.search('gone', { limit: 5 }).entries, [])
    assert.deepEqual(settle.stats(), { providers: 1, online: 1, entries: 1, stale: 2 })
    settle.announce(A, { entries: await entries('later.txt') }) // the snapshot goes on: re-stamped
    assert.deepEqual(visible(), ['keep.txt', 'later.txt'])
    assert.equal(settle.collect(), 0, 'not before the snapshot settled')
    clock += 5001
    assert.equal(settle.collect(), 1)
    assert.deepEqual(settle.stats(), { providers: 1, online: 1, entries: 2, stale: 0 })
    assert.deepEqual(settle.search('gone', { limit: 5 }).entries, [])
    assert.equal(settle.search('later', { limit: 5 }).entries.length, 1)

    // the quota counts current entries; a peer piling up snapshots of new names is collected at once
    settle.announce(A, { replace: true, entries: await entries('a', 'b', 'c', 'd') })
    settle.announce(A, { replace: true, entries: await entries('e', 'f', 'g', 'h') })
    assert.equal(settle.stats().stale, 0)
    assert.equal(settle.count(A), 4)
    assert.equal(settle.remove(A, ['e', 'nope']), 1)
    assert.equal(settle.count(A), 3)
  })

  it('pages in a stable order with an opaque cursor, under a prefix too', async () => {
    const all = Array.from({ length: 25 }, (_, i) => `dir${i % 3}/f${String(i).padStart(2, '0')}.bin`)
    store.announce(A, { replace: true, entries: await entries(...all) })
    store.announce(B, { replace: true, entries: await entries(...all.slice(0, 5)) })
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = store.list({ cursor, limit: 7 })
      seen.push(...names(page))
      cursor = page.nextCursor
      pages++
    } while (cursor != null)
    assert.equal(seen.length, 30)
    assert.equal(new Set(seen).size, 30)
    assert.equal(pages, 5)
    const sorted = [...seen].sort((x, y) => {
      const [px, nx] = x.split(':'); const [py, ny] = y.split(':')
      return nx < ny ? -1 : nx > ny ? 1 : px < py ? -1 : 1
    })
    assert.deepEqual(seen, sorted)

    const dir1 = store.list({ limit: 100, prefix: 'dir1/' })
    assert.ok(dir1.entries.length > 0)
    assert.ok(dir1.entries.every(e => e.name.startsWith('dir1/')))
    assert.throws(() => store.list({ limit: 5, cursor: 'not-a-cursor' }), { name: 'BadRequestError' })
    assert.throws(() => store.search('x', { limit: 5, cursor: store.list({ limit: 1 }).nextCursor }), { name: 'BadRequestError' })
  })

  it('search matches words of names split on / . _ - and spaces, and prefixes of them', async () => {
    store.announce(A, {
      replace: true,
      entries: await entries('holiday photos/beach sunset.txt', 'quarterly-report.pdf', 'music/Café_del_Mar.flac', 'src/main.rs')
    })
    const find = (q: string): string[] => store.search(q, { limit: 10 }).entries.map(e => e.name).sort()
    assert.deepEqual(find('sunset'), ['holiday photos/beach sunset.txt'])
    assert.deepEqual(find('report'), ['quarterly-report.pdf'])
    assert.deepEqual(find('quart'), ['quarterly-report.pdf'])
    assert.deepEqual(find('PDF'), ['quarterly-report.pdf'])
    assert.deepEqual(find('cafe mar'), ['music/Café_del_Mar.flac'])
    assert.deepEqual(find('photos beach'), ['holiday photos/beach sunset.txt'])
    assert.deepEqual(find('main rs'), ['src/main.rs'])
    assert.deepEqual(find('sunset report'), [], 'all words are required')
    assert.deepEqual(find('nothing'), [])
  })

  it('user text never reaches MATCH as syntax', async () => {
    store.announce(A, { replace: true, entries: await entries('a b.txt', 'near.txt') })
    // each text means its words, every one required as a prefix; read as FTS5 syntax, 'a OR
    // near' and 'NOT a' would match, 'name:a' would filter a column, 'a AND' and '(((' would throw
    const cases: Array<[string, string[]]> = [
      ['"a OR b*` NEAR(', []], ['a OR near', []], ['a AND', []], ['NOT a', []], ['name:a', []],
      ['*', []], ['"', []], ['(((', []], ['\u0000', []], ['', []],
      ['^a', ['a b.txt']], ['a:b', ['a b.txt']], ['- a', ['a b.txt']], ['near*', ['near.txt']]
    ]
    for (const [text, expected] of cases) {
      assert.deepEqual(store.search(text, { limit: 10 }).entries.map(e => e.name), expected, `search ${JSON.stringify(text)}`)
    }
    assert.equal(toFtsQuery('"a OR b*` NEAR('), '"a"* "or"* "b"* "near"*')
    assert.equal(toFtsQuery('*** ((('), undefined)
    assert.throws(() => store.search('x'.repeat(5000), { limit: 1 }), { name: 'BadRequestError' })
  })

  it('search pages by cursor', async () => {
    store.announce(A, { replace: true, entries: await entries(...Array.from({ length: 12 }, (_, i) => `log-${i}.txt`)) })
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = store.search('log', { cursor, limit: 5 })
      seen.push(...page.entries.map(e => e.name))
      cursor = page.nextCursor
    } while (cursor != null)
    assert.equal(new Set(seen).size, 12)
  })

  it('lookups group by file id with every provider once', async () => {
    const same = await entry('song.mp3', 100)
    store.announce(A, { replace: true, entries: [same, { ...same, name: 'copy of song.mp3' }], addrs: ['/ip4/10.0.0.1/tcp/1'] })
    store.announce(B, { replace: true, entries: [same, await entry('other.mp3')] })
    store.setOffline(B)
    const byId = store.lookupByFileId(same.fileId)
    assert.equal(byId.length, 1)
    assert.equal(byId[0].size, 100)
    assert.deepEqual(byId[0].providers.map(p => [p.peerId, p.online]), [[A, true], [B, false]])
    assert.deepEqual(byId[0].providers[0].addrs, ['/ip4/10.0.0.1/tcp/1'])
    const byName = store.lookupByName('song.mp3')
    assert.equal(byName.length, 1)
    assert.equal(byName[0].providers.length, 2)
    assert.deepEqual(store.lookupByName('missing'), [])
  })

  it('offline providers are shown during the grace, then hidden, then expired', async () => {
    store.announce(A, { replace: true, entries: await entries('a.txt') })
    store.announce(B, { replace: true, entries: await entries('b.txt') })
    store.setOffline(A)
    clock += 500
    assert.deepEqual(names(), ['peerA:a.txt', 'peerB:b.txt'])
    assert.deepEqual(store.expire(), { providers: 0, entries: 0 })
    clock += 600
    assert.deepEqual(names(), ['peerB:b.txt'], 'hidden once the grace is over')
    assert.equal(store.lookupByName('a.txt').length, 0)
    store.setOnline(A)
    assert.deepEqual(names(), ['peerA:a.txt', 'peerB:b.txt'], 'back while not yet expired')
    store.setOffline(A)
    clock += 1001
    assert.deepEqual(store.expire(), { providers: 1, entries: 1 })
    assert.equal(store.provider(A), undefined)
    assert.deepEqual(store.search('a', { limit: 5 }).entries, [])
    store.setOnline(A) // back before its rows were collected: they stay hidden
    assert.deepEqual(names(), ['peerB:b.txt'])
    assert.equal(store.collect(), 1)
    assert.deepEqual(store.stats(), { providers: 1, online: 1, entries: 1, stale: 0 })
    store.setOnline(A) // unknown peers are not created by a connect
    assert.equal(store.provider(A), undefined)
    store.announce(A, { replace: true, entries: await entries('a.txt') })
    assert.deepEqual(names(), ['peerA:a.txt', 'peerB:b.txt'])
  })

  it('over the quota, the whole message is refused and nothing of it kept', async () => {
    const small = new IndexStore(':memory:', { maxEntriesPerPeer: 3 })
    scene.defer(async () => { small.close() })
    small.announce(A, { replace: true, entries: await entries('1', '2') })
    const more = await entries('3', '4')
    assert.throws(() => small.announce(A, { entries: more }), { name: 'QuotaExceededError', code: 'QUOTA' })
    assert.equal(small.count(A), 2)
    assert.deepEqual(small.list({ limit: 10 }).entries.map(e => e.name), ['1', '2'])
    small.announce(A, { entries: await entries('1', '2', '3') }) // updates do not count twice
    assert.equal(small.count(A), 3)
    small.announce(A, { replace: true, entries: await entries('x', 'y', 'z') })
    assert.equal(small.count(A), 3)
  })

  it('refuses a database of another schema version with one clear line', async () => {
    const dir = await scene.tmpDir()
    IndexStore.open(dir).close()
    const db = new DatabaseSync(`${dir}/index.db`)
    db.exec('UPDATE meta SET value = \'999\' WHERE key = \'schema\'')
    db.close()
    assert.throws(() => IndexStore.open(dir), { name: 'IndexStoreError', message: /schema 999.*remove it/ })
  })

  it('brings a schema 2 database up to date: the word index rebuilt with more prefix lengths, every entry still found', async () => {
    const dir = await scene.tmpDir()
    const first = IndexStore.open(dir, { now })
    first.announce(A, { replace: true, entries: await entries('holiday photos/beach.jpg', 'notes/budget 2024.txt') })
    first.close()
    // schema 2 as it was: the word index with prefixes of 2 and 3 characters only
    const db = new DatabaseSync(`${dir}/index.db`)
    db.exec(`DROP TABLE names; CREATE VIRTUAL TABLE names USING fts5 (name, content = 'files', content_rowid = 'id',
      tokenize = "${FTS_TOKENIZE}", prefix = '2 3'); INSERT INTO names (names) VALUES ('rebuild');
      UPDATE meta SET value = '2' WHERE key = 'schema'`)
    db.close()
    const store = IndexStore.open(dir, { now })
    assert.deepEqual(store.search('holid beac', { limit: 10 }).entries.map(e => e.name), ['holiday photos/beach.jpg'])
    assert.deepEqual(store.search('budget', { limit: 10 }).entries.map(e => e.name), ['notes/budget 2024.txt'])
    store.close()
    const after = new DatabaseSync(`${dir}/index.db`)
    assert.equal((after.prepare('SELECT value FROM meta WHERE key = \'schema\'').get() as any).value, String(SCHEMA_VERSION))
    assert.match((after.prepare('SELECT sql FROM sqlite_master WHERE name = \'names\'').get() as any).sql, /prefix = '2 3 4 5 6 7 8'/)
    after.close()
  })

  it('survives a restart: the index is on disk, everyone restarts offline with a fresh grace', async () => {
    const dir = await scene.tmpDir()
    const first = IndexStore.open(dir, { now, graceMs: 1000 })
    first.announce(A, { replace: true, entries: await entries('kept.txt'), addrs: ['/ip4/1.2.3.4/tcp/5'] })
    first.close()
    clock += 60_000
    const second = IndexStore.open(dir, { now, graceMs: 1000 })
    scene.defer(async () => { second.close() })
    second.markAllOffline()
    const listed = second.list({ limit: 10 })
    assert.deepEqual(listed.entries.map(e => e.name), ['kept.txt'])
    assert.deepEqual(second.provider(A), { peerId: A, addrs: ['/ip4/1.2.3.4/tcp/5'], online: false })
    clock += 1001
    assert.deepEqual(second.expire().providers, 1)
    assert.equal(second.collect(), 1)
    assert.deepEqual(second.stats(), { providers: 0, online: 0, entries: 0, stale: 0 })
  })
})
