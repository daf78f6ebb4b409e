import assert from 'node:assert/strict'
import { chmod, chown, lstat, mkdir, readdir, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Sandbox } from '../e2e/harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const NOBODY = 65534

/**
 * A data dir too deep for a unix socket path puts the control socket in `fsnode-<uid>` under
 * the temp dir, where another user may have made that folder first (to read, replace or pose
 * as the socket). The node refuses a folder that is not ours alone, with one line.
 * Each test has its own TMPDIR, so the machine's /tmp/fsnode-<uid> is never touched.
 */
describe('control socket: the private run folder', function () {
  this.timeout(60_000)
  let sb: Sandbox
  let deep: string
  let runDir: string
  let env: Record<string, string>

  before(function () {
    if (process.getuid?.() !== 0) this.skip() // chown to another user needs root
  })
  beforeEach(async () => {
    sb = await Sandbox.create()
    await sb.mkdir('share')
    deep = sb.path('d'.repeat(60), 'e'.repeat(60))
    const tmp = await sb.mkdir('tmp')
    runDir = join(tmp, `fsnode-${process.getuid?.() ?? 0}`)
    env = { TMPDIR: tmp, XDG_RUNTIME_DIR: '' }
  })
  afterEach(async () => { await sb?.cleanup() })

  const start = async (): Promise<{ code: number | null, stderr: string }> =>
    await sb.run(['start', '--data-dir', deep, '--share', sb.path('share'), '--listen', LOCAL], { env, timeoutMs: 30_000 })

  const refused = async (why: RegExp): Promise<void> => {
    const r = await start()
    assert.notEqual(r.code, 0)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0], new RegExp(`refusing the control socket folder ${runDir}: it ${why.source}`))
    await assert.rejects(stat(deep), { code: 'ENOENT' }, 'nothing made')
    assert.deepEqual(await readdir(runDir), [], 'nothing put in the folder')
  }

  it('refuses a folder another user made', async () => {
    await mkdir(runDir, { mode: 0o700 })
    await chown(runDir, NOBODY, NOBODY)
    await refused(/belongs to uid 65534, not to us \(uid 0\)/)
    // the client does not talk to a socket there either
    const s = await sb.run(['status', '--data-dir', deep], { env })
    assert.notEqual(s.code, 0)
    assert.match(s.stderr.trim(), /^[^\n]*refusing the control socket folder [^\n]*belongs to uid 65534[^\n]*$/)
    assert.equal((await lstat(runDir)).uid, NOBODY, 'not adopted')
  })

  it('refuses a folder of ours open to others (0777)', async () => {
    await mkdir(runDir)
    await chmod(runDir, 0o777)
    await refused(/has mode 0777, not 0700/)
    assert.equal((await lstat(runDir)).mode & 0o777, 0o777, 'not chmodded')
  })

  it('refuses a link in its place', async () => {
    const elsewhere = await sb.mkdir('elsewhere')
    await chmod(elsewhere, 0o700)
    await symlink(elsewhere, runDir)
    const r = await start()
    assert.notEqual(r.code, 0)
    assert.match(r.stderr.trim(), /^[^\n]*refusing the control socket folder [^\n]*: it is not a folder[^\n]*$/)
  })

  it('makes the folder 0700 when there is none, and the node runs and answers there', async () => {
    const daemon = await sb.daemon(['start', '--data-dir', deep, '--share', sb.path('share'), '--listen', LOCAL], { env })
    const st = await lstat(runDir)
    assert.ok(st.isDirectory())
    assert.equal(st.mode & 0o777, 0o700)
    assert.equal(st.uid, process.getuid?.())
    const [sock] = await readdir(runDir)
    assert.match(sock, /^[0-9a-f]{16}\.sock$/)
    assert.equal((await stat(join(runDir, sock))).mode & 0o777, 0o600)
    assert.equal((await sb.json(['status', '--data-dir', deep], { env })).running, true)
    assert.ok(daemon.child.pid != null)
  })
})
