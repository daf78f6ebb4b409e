import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { Sandbox } from './harness.js'
import { expectedFileId, sha256File, writeRandom, writeText } from './files.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

/** The README's one-machine quick start: a config.json with an embedded coordinator, `fsnode
 * start` in one terminal, and `fsnode get welcome.txt --out /tmp/x` in another. */
describe('e2e: get of a file this node shares itself', function () {
  this.timeout(120_000)
  let sb: Sandbox

  beforeEach(async () => {
    sb = await Sandbox.create()
    await writeFile(sb.path('config.json'), JSON.stringify({
      coordinator: { listen: [LOCAL], dataDir: '.fsnode/coordinator' },
      node: { listen: [LOCAL], coordinators: [], embeddedCoordinator: true, shareDir: 'shared', downloadsDir: 'downloads', dataDir: '.fsnode/node' }
    }))
    await writeText(sb.path('shared', 'welcome.txt'), 'Welcome to fsnode.\n')
    await writeRandom(sb.path('shared', 'photos', 'big.bin'), 3 * 1024 * 1024 + 7)
    await sb.daemon(['start'])
  })
  afterEach(async () => { await sb.cleanup() })

  it('get NAME --out places a verified copy from the local share (the quick start)', async () => {
    const r = await sb.run(['get', 'welcome.txt', '--out', sb.path('x')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /from this node's own share -> .*\/x\/welcome\.txt\n$/)
    assert.equal(await sha256File(sb.path('x', 'welcome.txt')), await sha256File(sb.path('shared', 'welcome.txt')))
    assert.deepEqual(await readdir(sb.path('x')), ['welcome.txt'], 'no partial state left behind')

    // the same get again: the file is there with this content, nothing new appears
    const again = await sb.json(['get', 'welcome.txt', '--out', sb.path('x')])
    assert.equal(again.path, sb.path('x', 'welcome.txt'))
    assert.deepEqual(await readdir(sb.path('x')), ['welcome.txt'])
  })

  it('get FILE_ID and get FOLDER/ copy from the local share too, under their names', async () => {
    const id = await expectedFileId(sb.path('shared', 'photos', 'big.bin'))
    const byId = await sb.json(['get', id, '--out', sb.path('y')])
    assert.equal(byId.fromLocalShare, true)
    assert.equal(byId.path, sb.path('y', 'big.bin'), 'saved under its name, not its id')
    assert.equal(await sha256File(byId.path), await sha256File(sb.path('shared', 'photos', 'big.bin')))

    const folder = await sb.json(['get', 'photos/', '--out', sb.path('z')])
    assert.equal(folder.files.length, 1)
    assert.equal(await sha256File(sb.path('z', 'photos', 'big.bin')), await sha256File(sb.path('shared', 'photos', 'big.bin')))
  })
})
