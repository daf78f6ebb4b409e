import assert from 'node:assert/strict'
import { pathToFileURL } from 'node:url'
import { PUBLIC_DIR } from '../../src/ui/assets.js'

/** The page's own modules that import nothing run under Node as they do in the browser. */
async function page (name: string): Promise<any> {
  return await import(pathToFileURL(PUBLIC_DIR + name).href)
}

describe('ui: the page\'s helpers (folder view, rates)', () => {
  it('builds folders from flat names, with their file counts and sizes', async () => {
    const { entries } = await page('listing.js')
    const f = (name: string, size = 1): any => ({ name, size, fileId: name, providers: [] })
    const list = [f('b.txt', 5), f('docs/a.txt', 2), f('docs/notes/x.txt', 3), f('a.bin', 7), f('music/s.flac', 10)]
    const root = entries(list, '')
    assert.deepEqual(root.folders, [{ name: 'docs', files: 2, size: 5 }, { name: 'music', files: 1, size: 10 }])
    assert.deepEqual(root.files.map((x: any) => x.name), ['a.bin', 'b.txt'])
    const docs = entries(list, 'docs/')
    assert.deepEqual(docs.folders, [{ name: 'notes', files: 1, size: 3 }])
    assert.deepEqual(docs.files.map((x: any) => x.name), ['docs/a.txt'])
    // a name that only starts like the folder is not in it
    assert.deepEqual(entries([f('docsy.txt')], 'docs/'), { folders: [], files: [] })
  })

  it('reads a limit as the CLI writes it, and refuses what is not a rate', async () => {
    const { parseRate, rateText, bytes } = await page('format.js')
    assert.equal(parseRate('4MiB'), 4 * 1024 * 1024)
    assert.equal(parseRate('500 KiB'), 500 * 1024)
    assert.equal(parseRate('1.5M'), 1.5 * 1024 * 1024)
    assert.equal(parseRate('2000'), 2000)
    assert.equal(parseRate('0'), 0)
    assert.equal(parseRate(''), 0)
    for (const bad of ['-1', 'fast', '4 MiBps', '1e9', '0x10']) assert.equal(parseRate(bad), undefined, bad)
    assert.equal(rateText(0), '0')
    assert.equal(rateText(4 * 1024 * 1024), '4MiB')
    assert.equal(rateText(512 * 1024), '512KiB')
    assert.equal(rateText(1000), '1000')
    assert.equal(parseRate(rateText(3 * 1024 * 1024)), 3 * 1024 * 1024)
    assert.equal(bytes(0), '0 B')
    assert.equal(bytes(3 * 1024 * 1024 + 3), '3.00 MiB')
    assert.equal(bytes(1536), '1.50 KiB')
  })
})
