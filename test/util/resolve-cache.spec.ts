import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const BIN = resolve(import.meta.dirname, '../../../bin/fsnode.js')

/** `fsnode --version` with this cache home; its exit code and output. */
async function version (cacheHome: string): Promise<{ code: number, stdout: string, stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome }
  delete env.NODE_COMPILE_CACHE
  delete env.NODE_DISABLE_COMPILE_CACHE
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, '--version'], { env, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

describe('bin: the module resolution cache', function () {
  this.timeout(120_000)
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fsnode-rc-'))
    file = join(dir, 'fsnode', 'resolve-cache.json')
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  /** The cache with every package import sent to `target`. */
  async function poison (target: string): Promise<any> {
    const cache = JSON.parse(await readFile(file, 'utf8'))
    let n = 0
    for (const byKey of Object.values<any>(cache.entries)) {
      for (const [key, [url]] of Object.entries<any>(byKey)) {
        if (url.includes('/node_modules/')) { byKey[key] = [pathToFileURL(target).href, 'module']; n++ }
      }
    }
    assert.ok(n > 0, 'the cache holds package imports')
    return cache
  }

  it('is written by a first run and used by the next', async () => {
    const first = await version(dir)
    assert.equal(first.stdout.trim(), '0.1.0')
    const cache = JSON.parse(await readFile(file, 'utf8'))
    assert.ok(Object.keys(cache.stamps).some(p => p.endsWith('/package.json')))
    assert.equal((await version(dir)).stdout.trim(), '0.1.0')
    // used, not merely written: its entries are what the program loads
    const boom = join(dir, 'boom.mjs')
    await writeFile(boom, "throw new Error('loaded from the cache')\n")
    await writeFile(file, JSON.stringify(await poison(boom)))
    const r = await version(dir)
    assert.notEqual(r.code, 0)
    // (it fails at linking, boom.mjs exporting nothing, or when boom.mjs runs)
    assert.match(r.stderr, /does not provide an export|loaded from the cache/)
  })

  it('resolves again an import whose file is gone', async () => {
    await version(dir)
    await writeFile(file, JSON.stringify(await poison(join(dir, 'gone.mjs'))))
    const r = await version(dir)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), '0.1.0')
  })

  it('is dropped whole when a package.json it relied on changed (an npm install)', async () => {
    await version(dir)
    const boom = join(dir, 'boom.mjs')
    await writeFile(boom, "throw new Error('loaded from the cache')\n")
    const cache = await poison(boom)
    const [pkg] = Object.keys(cache.stamps)
    cache.stamps[pkg][0] -= 1000 // as if that package had been installed again since
    await writeFile(file, JSON.stringify(cache))
    const r = await version(dir)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), '0.1.0')
  })

  it('a cache file that is not JSON is ignored', async () => {
    await version(dir)
    await writeFile(file, '{ not json')
    const r = await version(dir)
    assert.equal(r.stdout.trim(), '0.1.0')
    assert.equal(r.stderr, '')
  })
})
