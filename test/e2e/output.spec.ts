import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { Sandbox, waitFor, BIN } from './harness.js'
import type { Daemon } from './harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const FILES = 3_000

/** `sh -c script` with $NODE and $FSNODE set, as a user's shell pipeline runs it. */
async function shell (sb: Sandbox, script: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FSNODE_') && k !== 'DEBUG') env[k] = v
  Object.assign(env, { FSNODE_MDNS: '0', NODE: process.execPath, FSNODE: BIN })
  return await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: sb.dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', d => { stderr += d })
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

describe('e2e: output through a pipe', function () {
  this.timeout(300_000)
  let sb: Sandbox
  let coord: Daemon
  let common: string

  before(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    const share = sb.path('share')
    for (let d = 0; d < 30; d++) {
      await mkdir(sb.path('share', `folder-${d}`), { recursive: true })
      await Promise.all(Array.from({ length: FILES / 30 }, async (_, i) =>
        await writeFile(sb.path('share', `folder-${d}`, `a-file-with-a-longish-name-${d}-${i}.txt`), `file ${d} ${i}\n`)))
    }
    await sb.daemon(['start', '--data-dir', sb.path('p'), '--share', share, '--listen', LOCAL, '--coordinator', coord.addr], { timeoutMs: 120_000 })
    // asked of the running node folder by folder: each `fsnode ls` of a viewer starts a node,
    // and the whole listing in one answer is over the control socket's 1 MiB message limit
    await waitFor(async () => {
      let listed = 0
      for (let d = 0; d < 30; d++) listed += (await sb.ask<any[]>(sb.path('p'), 'ls', { path: `folder-${d}` })).length
      return listed >= FILES
    }, `${FILES} files listed`, 120_000, 250)
    common = `--data-dir '${sb.path('viewer')}' --coordinator '${coord.addr}'`
  })
  after(async () => { await sb?.cleanup() })

  // The reader waits a second before reading: the pipe (64 KiB) fills and fsnode must wait for
  // it to drain rather than exit with the rest of its output unwritten.
  it(`ls --json of ${FILES} files piped into a slow JSON parser parses, with every file`, async () => {
    const r = await shell(sb, `"$NODE" "$FSNODE" ls --flat --json ${common} | (sleep 1; "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);console.log(l.length, s.length)})')`)
    assert.equal(r.stderr, '')
    const [count, bytes] = r.stdout.trim().split(' ').map(Number)
    assert.equal(count, FILES)
    assert.ok(bytes > 128 * 1024, `the listing is larger than a pipe buffer (${bytes} bytes)`)
  })

  it(`ls --flat | wc -l counts ${FILES} lines and a header`, async () => {
    const r = await shell(sb, `"$NODE" "$FSNODE" ls --flat ${common} | (sleep 1; wc -l)`)
    assert.equal(r.stdout.trim(), String(FILES + 1))
    assert.equal(r.stderr, '')
  })

  it('a reader that stops early (| head -1) ends fsnode quietly', async () => {
    const r = await shell(sb, `"$NODE" "$FSNODE" ls --flat ${common} | head -1; echo "exit=\${PIPESTATUS:-done}"`)
    assert.match(r.stdout, /^NAME\s+SIZE\s+FILE ID\s+PEERS\n/)
    assert.equal(r.stderr, '', 'no EPIPE stack trace')
  })
})
