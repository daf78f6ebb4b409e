import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShareIndex } from '../../src/share/share-index.js'
import { DeltaLog, FAST_WATCH, put, removeDirs, tempDir, waitFor } from './helpers.js'

const FOLDERS = 100
const PER_FOLDER = 100

describe('share/scale: 10,000 files in 100 folders', function () {
  this.timeout(30_000)
  const dirs: string[] = []
  const indexes: ShareIndex[] = []
  let share: string
  let data: string

  before(async () => {
    dirs.push(share = await tempDir('scale'))
    dirs.push(data = await tempDir('scale-data'))
    for (let d = 0; d < FOLDERS; d++) {
      const dir = join(share, `folder ${d}`, d % 2 === 0 ? 'nested' : '')
      await mkdir(dir, { recursive: true })
      await Promise.all(Array.from({ length: PER_FOLDER }, async (_, i) => { await writeFile(join(dir, `file-${i}.txt`), `${d}/${i}\n`) }))
    }
  })
  after(async () => {
    await Promise.all(indexes.splice(0).map(async i => { await i.stop() }))
    await removeDirs(dirs)
  })

  const start = async (): Promise<{ index: ShareIndex, ms: number }> => {
    const index = new ShareIndex({ dataDir: data, roots: [{ path: share }], watch: FAST_WATCH })
    indexes.push(index)
    const t0 = performance.now()
    await index.start()
    return { index, ms: performance.now() - t0 }
  }

  it('indexes, restarts from the cache, and still watches', async () => {
    const first = await start()
    const s1 = first.index.stats()
    assert.equal(s1.files, FOLDERS * PER_FOLDER)
    assert.equal(s1.hashed, FOLDERS * PER_FOLDER)
    console.log(`      first start: ${Math.round(first.ms)} ms (${s1.hashed} hashed)`)
    await first.index.stop()

    const second = await start()
    const s2 = second.index.stats()
    assert.equal(s2.files, FOLDERS * PER_FOLDER)
    assert.equal(s2.hashed, 0)
    assert.equal(s2.cached, FOLDERS * PER_FOLDER)
    console.log(`      cached restart: ${Math.round(second.ms)} ms (${s2.cached} from the cache)`)

    const log = new DeltaLog(second.index)
    await put(share, 'folder 7/late.txt', 'late')
    await waitFor('watch after a big scan', () => log.added.includes('folder 7/late.txt'))
    assert.equal(log.added.length, 1)
  })
})
