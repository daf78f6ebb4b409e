import assert from 'node:assert/strict'
import { rename, rm, writeFile, stat } from 'node:fs/promises'
import { Sandbox, waitFor } from './harness.js'
import { expectedFileId, writeText } from './files.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

describe('e2e: coordinator, nodes and the index', function () {
  this.timeout(120_000)
  let sb: Sandbox

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  /** `fsnode ls` as a user without a node runs it: a short-lived node asks the coordinator. */
  async function ls (coord: string): Promise<any[]> {
    return await sb.json(['ls', '--flat', '--data-dir', sb.path('viewer'), '--coordinator', coord])
  }

  /** The same list, asked of the node running on `dataDir` through its control socket: for
   * polls (each `fsnode ls` without a node starts a whole libp2p node). */
  async function lsOf (dataDir: string): Promise<any[]> {
    return await sb.ask<any[]>(sb.path(dataDir), 'ls')
  }

  it("lists two nodes' files with sizes and file ids, and finds them by a word of their names", async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeText(sb.path('a', 'holiday photos', 'beach sunset.txt'), 'sunset over the sea\n')
    await writeText(sb.path('a', 'notes.md'), '# notes\n')
    await writeText(sb.path('b', 'quarterly-report.pdf'), 'x'.repeat(300 * 1024))
    const [a, b] = await Promise.all(['a', 'b'].map(async x => await sb.daemon(['start', '--data-dir', sb.path(`n${x}`), '--share', sb.path(x), '--listen', LOCAL, '--coordinator', coord.addr])))

    await waitFor(async () => (await lsOf('na')).length === 3, 'three files in ls')
    const files = await ls(coord.addr)
    assert.equal(files.length, 3)
    const byName = new Map(files.map(f => [f.name, f]))
    const beach = byName.get('holiday photos/beach sunset.txt')
    assert.ok(beach, `missing beach file in ${JSON.stringify([...byName.keys()])}`)
    assert.equal(beach.size, 20)
    assert.equal(beach.fileId, await expectedFileId(sb.path('a', 'holiday photos', 'beach sunset.txt')))
    assert.deepEqual(beach.providers.map((p: any) => p.peerId), [a.peerId])
    const report = byName.get('quarterly-report.pdf')
    assert.equal(report.size, 300 * 1024)
    assert.equal(report.fileId, await expectedFileId(sb.path('b', 'quarterly-report.pdf')))
    assert.deepEqual(report.providers.map((p: any) => p.peerId), [b.peerId])

    const found = await sb.json(['search', 'sunset', '--data-dir', sb.path('viewer'), '--coordinator', coord.addr])
    assert.deepEqual(found.map((f: any) => f.name), ['holiday photos/beach sunset.txt'])
    const quarterly = await sb.json(['search', 'quarterly', '--data-dir', sb.path('viewer'), '--coordinator', coord.addr])
    assert.deepEqual(quarterly.map((f: any) => f.name), ['quarterly-report.pdf'])
    const none = await sb.json(['search', 'nothing-like-this', '--data-dir', sb.path('viewer'), '--coordinator', coord.addr])
    assert.deepEqual(none, [])

    // the node's own ls goes through its control socket
    const own = await sb.json(['ls', '--flat', '--data-dir', sb.path('na')])
    assert.equal(own.length, 3)
  })

  it('reflects added, changed, renamed and deleted files within seconds', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeText(sb.path('s', 'keep.txt'), 'keep')
    await writeText(sb.path('s', 'change.txt'), 'v1')
    await writeText(sb.path('s', 'old-name.txt'), 'rename me')
    await writeText(sb.path('s', 'gone.txt'), 'delete me')
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('s'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => (await lsOf('n')).length === 4, 'initial four files')

    await writeText(sb.path('s', 'sub', 'added.txt'), 'new file')
    await writeFile(sb.path('s', 'change.txt'), 'version two')
    await rename(sb.path('s', 'old-name.txt'), sb.path('s', 'new-name.txt'))
    await rm(sb.path('s', 'gone.txt'))

    const changedId = await expectedFileId(sb.path('s', 'change.txt'))
    const files = await waitFor(async () => {
      const l = await lsOf('n')
      const names = l.map(f => f.name).sort().join(',')
      const changed = l.find(f => f.name === 'change.txt')
      return names === 'change.txt,keep.txt,new-name.txt,sub/added.txt' && changed?.fileId === changedId ? l : undefined
    }, 'changes in ls', 20_000)
    assert.equal(files.find(f => f.name === 'change.txt').size, 'version two'.length)
  })

  it('restarting a node on an unchanged folder re-hashes nothing', async () => {
    for (let i = 0; i < 50; i++) await writeText(sb.path('s', `d${i % 5}`, `f${i}.txt`), `file ${i}`)
    const args = ['start', '--data-dir', sb.path('n'), '--share', sb.path('s'), '--listen', LOCAL]
    const first = await sb.daemon(args)
    const s1 = await sb.json(['status', '--data-dir', sb.path('n')])
    assert.equal(s1.running, true)
    assert.equal(s1.share.files, 50)
    assert.equal(s1.share.hashed, 50)
    await first.stop()

    await sb.daemon(args)
    // it answers with the files its hash cache knew, then its scan checks them
    await waitFor(async () => (await sb.ask(sb.path('n'), 'status')).share.scanMs > 0, 'the scan done', 30_000)
    const s2 = await sb.json(['status', '--data-dir', sb.path('n')])
    assert.equal(s2.share.files, 50)
    assert.equal(s2.share.hashed, 0, 'nothing re-hashed')
    assert.equal(s2.share.cached, 50)
  })

  it('the coordinator restarts on its data dir and serves its index again', async () => {
    const cargs = ['coordinator', '--data-dir', sb.path('coord'), '--listen', '/ip4/127.0.0.1/tcp/0']
    let coord = await sb.daemon(cargs)
    await writeText(sb.path('s', 'persist.txt'), 'persist')
    const node = await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('s'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => (await lsOf('n')).length === 1, 'file announced')
    await node.stop()
    const port = coord.addr.split('/')[4]
    await coord.stop()

    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    const files = await ls(coord.addr)
    assert.deepEqual(files.map(f => f.name), ['persist.txt'])
    assert.equal(files[0].providers[0].online, false)
  })

  it('a node re-announces by itself after the coordinator restarts', async () => {
    let coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    const port = coord.addr.split('/')[4]
    await writeText(sb.path('s', 'one.txt'), 'one')
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('s'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => (await lsOf('n')).length === 1, 'file announced')
    await coord.stop()
    await rm(sb.path('coord', 'index.db'), { force: true }) // a coordinator that lost its index
    await rm(sb.path('coord', 'index.db-wal'), { force: true })
    await rm(sb.path('coord', 'index.db-shm'), { force: true })
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    await waitFor(async () => {
      const l = await lsOf('n')
      return l.length === 1 && l[0].providers[0].online === true
    }, 're-announced file', 40_000)
    const files = await ls(coord.addr)
    assert.equal(files[0].name, 'one.txt')
  })

  it('config errors give one clear line and exit code 2', async () => {
    const cases: Array<{ config?: unknown, args: string[], expect: RegExp }> = [
      { config: { node: { shareDir: 'x', bogus: 1 } }, args: ['start'], expect: /unknown key node\.bogus/ },
      { config: { node: { listen: 'not-a-list' } }, args: ['start'], expect: /node\.listen/ },
      { config: { node: { listen: ['/ip4/1.2.3/tcp/x'] } }, args: ['start'], expect: /node\.listen\[0\]: not a valid multiaddr/ },
      { config: { node: { coordinators: ['/ip4/127.0.0.1/tcp/1'] } }, args: ['start'], expect: /must end in \/p2p/ },
      { config: { node: { shareDir: 'does-not-exist' } }, args: ['start'], expect: /share folder .*does not exist/ },
      { args: ['start', '--listen', 'garbage'], expect: /not a valid multiaddr/ },
      { args: ['ls', '--bogus-flag'], expect: /unknown option/ }
    ]
    for (const [i, c] of cases.entries()) {
      const dir = await sb.mkdir(`case${i}`)
      if (c.config != null) await writeFile(sb.path(`case${i}`, 'config.json'), JSON.stringify(c.config))
      const r = await sb.run([...c.args, '--data-dir', sb.path(`case${i}`, 'data')], { cwd: dir })
      assert.equal(r.code, 2, `case ${i} (${c.args.join(' ')}): exit ${r.code}, stderr ${r.stderr}`)
      const lines = r.stderr.trim().split('\n')
      assert.equal(lines.length, 1, `case ${i}: one line, got ${r.stderr}`)
      assert.match(lines[0], c.expect)
      assert.equal(r.stdout, '')
    }
    await assert.rejects(stat(sb.path('case4', 'data', 'control.sock')), { code: 'ENOENT' })
  })

  it('fsnode id prints a stable peer id and keeps the key private', async () => {
    const one = await sb.json(['id', '--data-dir', sb.path('d')])
    const two = await sb.json(['id', '--data-dir', sb.path('d')])
    assert.equal(one.peerId, two.peerId)
    assert.equal(one.created, true)
    assert.equal(two.created, false)
    const mode = (await stat(sb.path('d', 'peer.key'))).mode & 0o777
    assert.equal(mode, 0o600)
  })
})
