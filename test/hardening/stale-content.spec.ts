import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { expectedFileId, sha256File, writeRandom } from '../e2e/files.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { Cleanup, makeHost, makeProvider, randomFile, shareFile, tempDir } from '../transfer/helpers.js'
import { ask } from './chunk-client.js'
import type { Daemon } from '../e2e/harness.js'

const run = promisify(execFile)
const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024

/** Overwrite bytes in the middle of a file (same size), then give it back its old mtime with
 * `touch -r`, as a user hiding an edit would: only its ctime tells. */
async function editInPlace (path: string): Promise<void> {
  const ref = `${path}.times`
  await run('touch', ['-r', path, ref])
  const before = await stat(path)
  const fh = await open(path, 'r+')
  await fh.write(Buffer.alloc(4096, 0xee), 0, 4096, 1 * MiB)
  await fh.close()
  await run('touch', ['-r', ref, path])
  const after = await stat(path)
  assert.equal(after.mtimeMs, before.mtimeMs, 'mtime restored')
  assert.equal(after.size, before.size)
  assert.notEqual(after.ctimeMs, before.ctimeMs)
}

describe('hardening: a file edited in place with its mtime restored', function () {
  this.timeout(120_000)
  let sb: Sandbox
  let coord: Daemon

  beforeEach(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
  })
  afterEach(async () => { await sb.cleanup() })

  const provider = async (): Promise<Daemon> =>
    await sb.daemon(['start', '--data-dir', sb.path('p'), '--share', sb.path('share'), '--listen', LOCAL, '--coordinator', coord.addr])

  /** The ids the coordinator lists for a name, asked of the running provider. */
  async function idsOf (name: string): Promise<string[]> {
    const l = await sb.ask<any[]>(sb.path('p'), 'ls')
    return l.filter((f: any) => f.name === name).map((f: any) => f.fileId)
  }

  /** The node announces the edited content under its new id (and only it), and another node
   * gets that id byte-identical. */
  async function expectRehashed (path: string, oldId: string): Promise<void> {
    const newId = await expectedFileId(path)
    assert.notEqual(newId, oldId)
    await waitFor(async () => (await idsOf('data.bin')).join() === newId, 'the new id announced in place of the old', 30_000)
    const r = await sb.json(['get', newId, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path('out')], { timeoutMs: 60_000 })
    assert.equal(await sha256File(r.path), await sha256File(path))
  }

  it('while the node runs: it re-hashes, announces the new id, and a get of the new id works', async () => {
    const path = sb.path('share', 'data.bin')
    await writeRandom(path, 3 * MiB)
    await provider()
    const oldId = await waitFor(async () => (await idsOf('data.bin'))[0], 'data.bin listed', 30_000)
    assert.equal(oldId, await expectedFileId(path))
    await editInPlace(path)
    await expectRehashed(path, oldId)
  })

  it('while the node is down: the hash cache does not vouch for it after a restart', async () => {
    const path = sb.path('share', 'data.bin')
    await writeRandom(path, 3 * MiB)
    const node = await provider()
    const oldId = await waitFor(async () => (await idsOf('data.bin'))[0], 'data.bin listed', 30_000)
    await node.stop()
    await editInPlace(path)
    await provider()
    await expectRehashed(path, oldId)
  })
})

describe('hardening: the chunk server and a file edited with its mtime restored', function () {
  this.timeout(30_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('answers CHANGED instead of serving bytes that fail every chunk, and asks for a re-hash', async () => {
    const provider = await makeProvider(cleanup)
    const client = await makeHost(cleanup)
    const path = await randomFile(join(await tempDir(cleanup), 'edited.bin'), 2 * MiB)
    const file = provider.source.add(await shareFile(path, 'edited.bin'))
    await editInPlace(path)
    const a = await ask(client, provider.info.addrs[0], file.fileId, ChunkRequest.Type.CHUNK, 4)
    assert.equal(a.status, ChunkResponse.Status.CHANGED, `answered ${ChunkResponse.Status[a.status]}`)
    assert.deepEqual(provider.source.revalidated, [file])
  })
})
