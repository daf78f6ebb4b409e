import assert from 'node:assert/strict'
import { readdir, readFile, open } from 'node:fs/promises'
import { join } from 'node:path'
import { copyLocal } from '../../src/transfer/local-copy.js'
import { Cleanup, randomFile, sha256File, shareFile, tempDir } from './helpers.js'

describe('transfer: copy of a file this node shares (copyLocal)', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  it('copies a multi-chunk file byte-identical and places it under its name', async () => {
    const dir = await tempDir(cleanup)
    const source = await shareFile(await randomFile(join(dir, 'src.bin'), 5 * 1024 * 1024 + 3), 'docs/src.bin')
    const r = await copyLocal({ source, name: 'copy.bin', outDir: join(dir, 'out') })
    assert.equal(r.path, join(dir, 'out', 'copy.bin'))
    assert.equal(r.alreadyPresent, false)
    assert.equal(await sha256File(r.path), await sha256File(source.path))
    assert.deepEqual(await readdir(join(dir, 'out')), ['copy.bin'])
  })

  it('a shared file edited since it was hashed is refused: no file placed, the good chunks kept', async () => {
    const dir = await tempDir(cleanup)
    const source = await shareFile(await randomFile(join(dir, 'src.bin'), 3 * 1024 * 1024), 'src.bin')
    // same size, one byte changed in the last chunk: only hashing notices
    const fh = await open(source.path, 'r+')
    await fh.write(Buffer.from([0xff ^ (await readFile(source.path))[source.size - 1]]), 0, 1, source.size - 1)
    await fh.close()
    await assert.rejects(copyLocal({ source, name: 'copy.bin', outDir: join(dir, 'out') }), (err: Error) => {
      assert.equal(err.name, 'LocalSourceChangedError')
      assert.match(err.message, /changed on disk since it was indexed \(chunk \d+ no longer matches\)/)
      return true
    })
    assert.deepEqual(await readdir(join(dir, 'out')), ['.fsnode-partial'], 'nothing under the name')
  })

  it('a name with .. segments is placed inside the output folder, like a download', async () => {
    const dir = await tempDir(cleanup)
    const source = await shareFile(await randomFile(join(dir, 'src.bin'), 1000), 'src.bin')
    const r = await copyLocal({ source, name: '../../../etc/x', outDir: join(dir, 'out') })
    assert.ok(r.path.startsWith(join(dir, 'out') + '/'), r.path)
    assert.deepEqual((await readdir(dir)).sort(), ['out', 'src.bin'])
  })
})
