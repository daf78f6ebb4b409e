import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { copyFile, mkdtemp, mkdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../../..')
/** Installing pulls ~120 packages and a 50 MB Node from the registry (or npm's cache). */
const INSTALL_TIMEOUT = 15 * 60_000

/**
 * The environment of a user's shell: PATH without any node_modules/.bin (so `node` is the
 * system's, older than 24 on this machine) and none of the npm_* variables `npm test` sets.
 */
function userEnv (extraPath: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && !k.startsWith('FSNODE_') && k !== 'DEBUG' && k !== 'NODE') env[k] = v
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter(p => p !== '' && !p.includes('node_modules'))
  env.PATH = [...extraPath, ...path].join(delimiter)
  env.FSNODE_MDNS = '0'
  return env
}

describe('e2e: npm pack, then a global install into an empty prefix', function () {
  this.timeout(INSTALL_TIMEOUT + 5 * 60_000)
  let dir: string
  let prefix: string
  let tarball: string
  let files: string[]

  before(async function () {
    try {
      await run('npm', ['ping'], { env: userEnv(), timeout: 60_000 })
    } catch (err: any) {
      console.log(`      skipped: the npm registry is unreachable (npm ping: ${String(err.stderr ?? err.message).trim().split('\n').pop()})`)
      this.skip()
    }
    dir = await mkdtemp(join(tmpdir(), 'fsnode-pack-'))
    prefix = join(dir, 'prefix')
    // a real `npm pack`: prepack builds dist/ first
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env: userEnv(), timeout: 5 * 60_000, maxBuffer: 16 << 20 })
    const info = JSON.parse(packed.stdout)[0]
    tarball = join(dir, info.filename)
    files = info.files.map((f: { path: string }) => f.path)
  })
  after(async () => { if (dir != null) await rm(dir, { recursive: true, force: true }) })

  it('the package holds the bin and the built code, and no tests, sources or source maps', () => {
    for (const f of ['bin/fsnode.js', 'dist/src/cli/main.js', 'dist/src/node/fsnode.js', 'dist/src/transfer/index.js', 'dist/src/ui/assets.js', 'src/ui/public/index.html', 'src/ui/public/app.js', 'package.json', 'README.md']) {
      assert.ok(files.includes(f), `${f} is in the package`)
    }
    assert.deepEqual(files.filter(f => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || f.endsWith('.ts')), [])
  })

  it('installs globally with the system Node, and fsnode id, fsnode start and the exports work', async () => {
    const { stdout: systemNode } = await run('node', ['--version'], { env: userEnv() })
    console.log(`      system Node on PATH: ${systemNode.trim()}`)
    const install = await run('npm', ['install', '-g', '--prefix', prefix, tarball], { env: userEnv(), timeout: INSTALL_TIMEOUT, maxBuffer: 16 << 20 })
    assert.doesNotMatch(install.stderr, /EBADENGINE[^\n]*\n[^\n]*package: 'fsnode@/, 'npm does not warn that fsnode needs another Node')

    const env = userEnv([join(prefix, 'bin')])
    const id = await run('fsnode', ['id', '--json', '--data-dir', join(dir, 'node')], { env, cwd: dir, timeout: 60_000 })
    assert.match(JSON.parse(id.stdout).peerId, /^12D3KooW/)

    // start runs a node under the package's Node 24; SIGTERM to the command stops it cleanly
    await mkdir(join(dir, 'share'))
    // the HTTP API on a port of its own: the default 7880 may be another node's on this machine
    const start = spawn('fsnode', ['start', '--json', '--data-dir', join(dir, 'node'), '--share', join(dir, 'share'), '--listen', '/ip4/127.0.0.1/tcp/0', '--api-listen', '127.0.0.1:0'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    start.stdout.setEncoding('utf8').on('data', d => { out += d })
    start.stderr.setEncoding('utf8').on('data', d => { err += d })
    const exited = new Promise<number | null>(resolve => start.on('exit', code => resolve(code)))
    const deadline = Date.now() + 60_000
    while (!out.includes('}') && start.exitCode == null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    assert.match(JSON.parse(out).peerId, /^12D3KooW/, `fsnode start printed its peer id (stderr: ${err})`)
    const status = await run('fsnode', ['status', '--json', '--data-dir', join(dir, 'node')], { env, cwd: dir, timeout: 60_000 })
    assert.equal(JSON.parse(status.stdout).running, true, 'the node answers on its control socket')
    start.kill('SIGTERM')
    assert.equal(await exited, 0)
    assert.equal(err, '')

    // the package's exports, from a project that depends on it
    const app = join(dir, 'app')
    await mkdir(join(app, 'node_modules'), { recursive: true })
    await symlink(join(prefix, 'lib', 'node_modules', 'fsnode'), join(app, 'node_modules', 'fsnode'))
    const node24 = join(prefix, 'lib', 'node_modules', 'fsnode', 'node_modules', 'node', 'bin', 'node')
    const imported = await run(node24, ['--input-type=module', '-e', "const m = await import('fsnode'); const t = await import('fsnode/transfer'); console.log(typeof m.FsNode, typeof t.download)"], { cwd: app, env })
    assert.equal(imported.stdout.trim(), 'function function')

    // the web UI's files, its own and preact's and htm's, resolve from the installed package
    const assets = pathToFileURL(join(prefix, 'lib', 'node_modules', 'fsnode', 'dist', 'src', 'ui', 'assets.js')).href
    const ui = await run(node24, ['--input-type=module', '-e', `import { access } from 'node:fs/promises'; const a = await import(${JSON.stringify(assets)}); for (const p of a.uiPaths()) await access(a.uiFile(p)); console.log(a.uiPaths().length)`], { cwd: app, env })
    assert.ok(Number(ui.stdout) >= 10, ui.stdout)
  })
})

describe('e2e: the checkout with an older system Node', function () {
  this.timeout(120_000)

  it('npx fsnode prints no npm EBADENGINE warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fsnode-npx-'))
    try {
      // a fresh npm cache, as on a fresh clone: npx then installs the project into its cache as
      // a link (checking its engines against the system Node) before it runs the bin
      const env = { ...userEnv(), npm_config_cache: join(dir, 'npm-cache') }
      const r = await run('npx', ['fsnode', 'id', '--data-dir', join(dir, 'node')], { cwd: ROOT, env, timeout: 100_000 })
      assert.match(r.stdout, /^12D3KooW\S+\n$/)
      assert.doesNotMatch(r.stderr, /EBADENGINE|Unsupported engine/)
      assert.equal(r.stderr, '')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('without the packaged Node 24, an older Node gets the one-line refusal', async function () {
    const { stdout: version } = await run('node', ['--version'], { env: userEnv() })
    if (Number(version.slice(1).split('.')[0]) >= 24) this.skip() // the system Node is new enough
    const dir = await mkdtemp(join(tmpdir(), 'fsnode-bare-'))
    try {
      await mkdir(join(dir, 'bin'))
      await copyFile(join(ROOT, 'bin', 'fsnode.js'), join(dir, 'bin', 'fsnode.js'))
      await run('node', [join(dir, 'bin', 'fsnode.js'), 'id'], { cwd: dir, env: userEnv() }).then(() => assert.fail('it ran'), (err: any) => {
        assert.equal(err.code, 1)
        assert.match(err.stderr, /^fsnode: needs Node\.js 24 or newer \(this is v\d+\.\d+\.\d+\) and the Node 24 of its npm dependency `node` is not installed; run npm install[^\n]*\n$/)
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
