import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

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
