import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { sha256File, writeRandom } from '../e2e/files.js'
import type { Daemon } from '../e2e/harness.js'

const run = promisify(execFile)
const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024
const PARTIAL = '.fsnode-partial'

// Covered elsewhere, not repeated here: a coordinator restart (nodes re-announce by themselves:
// test/e2e/foundation.spec.ts) and a provider killed mid-transfer, then a resumed get
// (test/e2e/get.spec.ts).
describe('hardening: faults', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  async function provide (name: string, size: number): Promise<string> {
    await writeRandom(sb.path('share', name), size)
    await sb.daemon(['start', '--data-dir', sb.path('provider'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])
    await waitFor(async () => {
      const l = await sb.ask<any[]>(sb.path('provider'), 'ls')
      return l.some((f: any) => f.name === name)
    }, `${name} listed`, 30_000)
    return await sha256File(sb.path('share', name))
  }

  const getArgs = (name: string, out: string): string[] => ['get', name, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', out]

  it('a downloader killed with SIGKILL mid-transfer resumes when started again, and the file verifies', async () => {
    const expected = await provide('big.bin', 40 * MiB)
    const out = sb.path('out')
    // held to 8 MiB/s (limitLan: the provider is on loopback), so it is still under way when
    // progress shows, however fast the machine; the resumed get runs at full speed
    const slow = sb.path('slow.json')
    await writeFile(slow, JSON.stringify({ node: { limits: { limitLan: true } } }))
    const child = sb.spawn([...getArgs('big.bin', out), '--config', slow, '--max-download', '8MiB', '--json'])
    const exited = new Promise(resolve => child.on('exit', resolve))
    let stderr = ''
    child.stderr.on('data', d => { stderr += d })
    child.stdout.resume()
    // kill -9 once progress is on disk: the state file is written after the data is fsynced
    const seen = await waitFor(async () => {
      if (child.exitCode != null) return 'exited'
      return (await readdir(sb.path('out', PARTIAL)).catch(() => [])).some(n => n.endsWith('.state')) ? 'progress' : undefined
    }, 'recorded progress', 60_000, 5)
    assert.equal(seen, 'progress', `the get ended (exit ${child.exitCode}) before progress was seen: ${stderr}`)
    child.kill('SIGKILL')
    await exited
    await assert.rejects(stat(sb.path('out', 'big.bin')), { code: 'ENOENT' }, 'no file under the final name after the kill')

    const r = await sb.json(getArgs('big.bin', out), { timeoutMs: 90_000 })
    assert.ok(r.resumedChunks > 0, `resumed ${r.resumedChunks} chunks`)
    assert.equal(r.path, sb.path('out', 'big.bin'))
    assert.equal(await sha256File(r.path), expected)
    assert.deepEqual(await readdir(out), ['big.bin'], 'the partial state is gone once complete')
  })

  it('a full disk: one clear line, exit 1, partial kept, nothing final; with room, the same get completes', async function () {
    const expected = await provide('twenty.bin', 20 * MiB)
    const out = await sb.mkdir('small-disk')
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', out])
    } catch (err: any) {
      console.log(`      skipped: cannot mount a tmpfs (${String(err.stderr ?? err.message).trim()})`)
      this.skip()
    }
    try {
      const full = await sb.run(getArgs('twenty.bin', out), { timeoutMs: 60_000 })
      assert.equal(full.code, 1, full.stderr)
      const lines = full.stderr.trim().split('\n')
      assert.equal(lines.length, 1, full.stderr)
      console.log(`      ${lines[0]}`)
      assert.match(lines[0], /^fsnode: disk full: .*(MiB needed|free some space)/)
      assert.equal(full.stdout, '')
      const left = await readdir(out)
      assert.deepEqual(left, [PARTIAL], 'only the partial folder, nothing under the final name')

      await run('mount', ['-o', 'remount,size=64m', out])
      const r = await sb.json(getArgs('twenty.bin', out), { timeoutMs: 60_000 })
      assert.equal(r.path, `${out}/twenty.bin`)
      assert.equal(await sha256File(r.path), expected)
      assert.deepEqual(await readdir(out), ['twenty.bin'])
    } finally {
      await run('umount', ['-l', out]).catch(() => {})
    }
  })
})
