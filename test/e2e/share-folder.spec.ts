import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Sandbox, waitFor } from './harness.js'
import { sha256File, writeRandom, writeText } from './files.js'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

/** Every file under a folder, as relative paths. */
async function tree (dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.fsnode-')) continue
      if (e.isDirectory()) await walk(join(d, e.name))
      else out.push(relative(dir, join(d, e.name)))
    }
  }
  await walk(dir)
  return out.sort()
}

describe('e2e: fsnode share, unshare and folder downloads', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  /** The names the network lists, asked of the node running on n through its control socket. */
  const names = async (): Promise<string[]> =>
    (await sb.ask<any[]>(sb.path('n'), 'ls')).map((f: any) => f.name).sort()

  it('shares a folder outside the share folder, unshares it, and remembers it across restarts', async () => {
    await writeText(sb.path('share', 'inside.txt'), 'inside')
    await writeText(sb.path('elsewhere', 'photos', 'cat.jpg'), 'meow')
    await writeText(sb.path('elsewhere', 'photos', '2024', 'dog.jpg'), 'woof')
    const args = ['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr]
    let node = await sb.daemon(args)
    await waitFor(async () => (await names()).length === 1, 'share folder listed')

    const shared = await sb.json(['share', sb.path('elsewhere', 'photos'), '--data-dir', sb.path('n')])
    assert.equal(shared.files, 2)
    await waitFor(async () => (await names()).join(',') === 'inside.txt,photos/2024/dog.jpg,photos/cat.jpg', 'shared folder listed', 15_000)
    const status = await sb.json(['status', '--data-dir', sb.path('n')])
    assert.deepEqual(status.shares.map((s: any) => s.path), [sb.path('elsewhere', 'photos')])

    // nothing was copied
    assert.deepEqual(await tree(sb.path('share')), ['inside.txt'])

    await node.stop()
    node = await sb.daemon(args)
    await waitFor(async () => (await names()).length === 3, 'extra share kept after restart', 20_000)

    const un = await sb.json(['unshare', sb.path('elsewhere', 'photos'), '--data-dir', sb.path('n')])
    assert.equal(un.files, 2)
    await waitFor(async () => (await names()).join(',') === 'inside.txt', 'unshared folder withdrawn', 15_000)

    // share needs a running node; unshare of something never shared is an error
    const notShared = await sb.run(['unshare', sb.path('share', 'inside.txt'), '--data-dir', sb.path('n')])
    assert.equal(notShared.code, 1)
    await node.stop()
    const noNode = await sb.run(['share', sb.path('elsewhere'), '--data-dir', sb.path('n')])
    assert.equal(noNode.code, 1)
    assert.match(noNode.stderr, /no node is running/)
  })

  it('downloads a folder with its layout, empty files and deep paths included', async () => {
    const files: Record<string, number> = {
      'album/a.bin': 300 * 1024,
      'album/empty.txt': 0,
      'album/sub/b.bin': 1,
      'album/sub/deeper/still/deeper/c.bin': 2 * 1024 * 1024 + 7,
      'album/with space/d e.txt': 12,
      'other/not-this.txt': 5
    }
    for (const [name, size] of Object.entries(files)) await writeRandom(sb.path('share', name), size)
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => (await names()).length === 6, 'files listed')

    // the folder view lists the album as a folder
    const view = await sb.run(['ls', '--data-dir', sb.path('viewer'), '--coordinator', coord.addr])
    assert.match(view.stdout, /^album\/\s/m)
    assert.match(view.stdout, /^other\/\s/m)

    const r = await sb.json(['get', 'album/', '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out')])
    assert.equal(r.files.length, 5)
    assert.equal(r.size, Object.entries(files).filter(([n]) => n.startsWith('album/')).reduce((a, [, s]) => a + s, 0))
    const expected = Object.keys(files).filter(n => n.startsWith('album/')).sort()
    assert.deepEqual(await tree(sb.path('out')), expected)
    for (const name of expected) {
      assert.equal(await sha256File(sb.path('out', name)), await sha256File(sb.path('share', name)), name)
    }
    assert.equal((await stat(sb.path('out', 'album/empty.txt'))).size, 0)
    // a second get of the folder finds everything already there, and changes nothing
    const again = await sb.json(['get', 'album/', '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out')])
    assert.equal(again.files.length, 5)
    assert.deepEqual(await tree(sb.path('out')), expected)
    assert.equal(readFileSync(sb.path('out', 'album/with space/d e.txt')).length, 12)
  })

  it('an unknown folder is a clear error', async () => {
    await writeText(sb.path('share', 'x.txt'), 'x')
    await sb.daemon(['start', '--data-dir', sb.path('n'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => (await names()).length === 1, 'listed')
    const r = await sb.run(['get', 'nope/', '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out')])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no folder "nope\/"/)
  })
})
