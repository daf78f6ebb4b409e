import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { pruneCompileCache } from '../../src/util/compile-cache.js'
import { until } from '../../kit/wait.js'

const run = promisify(execFile)
const BIN = resolve(import.meta.dirname, '../../../bin/fsnode.js')

/** `fsnode --version` with this cache home and none of Node's own compile cache variables. */
async function version (cacheHome: string): Promise<{ stdout: string, stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome }
  delete env.NODE_COMPILE_CACHE
  delete env.NODE_DISABLE_COMPILE_CACHE
  return await run(process.execPath, [BIN, '--version'], { env, timeout: 60_000 })
}

describe('bin: the module compile cache', function () {
  this.timeout(120_000)
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'fsnode-cc-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it("fills the user's cache folder, and a second run still starts", async () => {
    const first = await version(dir)
    assert.equal(first.stdout.trim(), '0.1.0')
    const entries = await readdir(join(dir, 'fsnode', 'compile-cache'))
    assert.ok(entries.length > 0, 'Node wrote its compile cache under <cache>/fsnode/compile-cache')
    const second = await version(dir)
    assert.equal(second.stdout.trim(), '0.1.0')
    assert.equal(second.stderr, '')
  })

  it('a cache folder that cannot be made leaves the cache off and the command works', async () => {
    // a regular file where the cache home should be: mkdir fails (ENOTDIR), even as root
    const file = join(dir, 'not-a-folder')
    await writeFile(file, '')
    const { stdout, stderr } = await version(file)
    assert.equal(stdout.trim(), '0.1.0')
    assert.equal(stderr, '')
  })
})

describe('util: pruning the compile cache', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'fsnode-ccp-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  /** A cache folder as Node lays it out: version folders of files. */
  async function fill (cache: string, perVersion: number[]): Promise<void> {
    for (const [i, n] of perVersion.entries()) {
      await mkdir(join(cache, `v24.0.0-x64-${i}`), { recursive: true })
      for (let f = 0; f < n; f++) await writeFile(join(cache, `v24.0.0-x64-${i}`, `entry${f}`), 'x')
    }
  }

  it('keeps a cache within the bound, drops one past it whole, and removes what an earlier prune left', async () => {
    const cache = join(dir, 'compile-cache')
    await fill(cache, [3, 2])
    await writeFile(join(dir, 'resolve-cache.json'), '{}')
    assert.equal(pruneCompileCache(cache, 5), false)
    assert.equal((await readdir(cache)).length, 2, 'within the bound: untouched')
    assert.deepEqual(await readdir(dir), ['compile-cache'], 'the old resolve cache file is removed')

    await fill(join(dir, 'compile-cache.old-1'), [4])
    await fill(cache, [3, 3])
    assert.equal(pruneCompileCache(cache, 5), true)
    assert.equal(await stat(cache).catch(() => undefined), undefined, 'past the bound: the folder is gone at once')
    await until(async () => (await readdir(dir)).length === 0, 'the dropped folders to be removed in the background', 5_000, 50)
  })

  it('a cache folder that does not exist yet is nothing to prune', () => {
    assert.equal(pruneCompileCache(join(dir, 'none', 'compile-cache'), 5), false)
  })
})
