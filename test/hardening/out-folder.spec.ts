import assert from 'node:assert/strict'
import { lstat, mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rename } from 'node:fs/promises'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { Cleanup, makeHost, makeProvider, randomFile, shareFile, tempDir } from '../transfer/helpers.js'
import { Downloads } from '../../src/node/downloads.js'
import { Seeder } from '../../src/node/seeder.js'
import { ShareIndex } from '../../src/share/share-index.js'
import type { Seed } from '../../src/share/share-index.js'
import { DEFAULT_LIMITS } from '../../src/config/constants.js'
import type { NodeConfig } from '../../src/config/load.js'
import { expectedFileId, sha256File, writeRandom, writeText } from '../e2e/files.js'
import { chunkCount } from '../../src/wire/file-manifest.js'
import { chunkSizeFor } from '../../src/share/chunk-size.js'
import type { Daemon } from '../e2e/harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const PARTIAL = '.fsnode-partial'
const SECRET = 'the victim keeps this private\n'
/** Small files of the folder get that raced on the partial folder. */
const MANY = 300

/**
 * Someone who can write into the download folder (a shared downloads folder, --out /tmp/x)
 * plants links and forged partial state before the victim's node runs `get`. Real processes:
 * a coordinator, a provider, and the victim's node (a daemon, so it seeds what it fetched).
 */
describe('hardening: a download folder others can write into', function () {
  this.timeout(180_000)
  let sb: Sandbox
  let coord: Daemon

  before(async () => {
    sb = await Sandbox.create()
    coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeRandom(sb.path('share-a', 'doc.bin'), 2 * 1024 * 1024 + 123) // 9 chunks of 256 KiB
    for (let i = 0; i < 3; i++) await writeText(sb.path('share-a', 'photos', `p${i}.txt`), `photo ${i}\n`)
    for (let i = 0; i < MANY; i++) await writeText(sb.path('share-a', 'many', `f${i}.txt`), `small file ${i}\n`)
    await sb.mkdir('victim-share')
    await Promise.all([
      sb.daemon(['start', '--data-dir', sb.path('p-a'), '--share', sb.path('share-a'), '--listen', LOCAL, '--coordinator', coord.addr]),
      sb.daemon(['start', '--data-dir', sb.path('victim'), '--share', sb.path('victim-share'), '--listen', LOCAL, '--coordinator', coord.addr])
    ])
    await waitFor(async () => {
      const l = await sb.ask<any[]>(sb.path('victim'), 'ls')
      return l.length >= 4 + MANY
    }, 'files listed', 30_000)
  })
  after(async () => { await sb.cleanup() })

  /** `get` as the victim runs it: through its running node, which seeds the result. */
  async function get (target: string, out: string, timeoutMs = 120_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
    return await sb.run(['get', target, '--data-dir', sb.path('victim'), '--coordinator', coord.addr, '--out', out, '--json'], { timeoutMs })
  }

  async function secretFile (name: string): Promise<string> {
    const path = sb.path('victim-home', name)
    await writeText(path, SECRET)
    return path
  }

  /** Every path the victim's node seeds must be a regular file (no link) inside a download folder. */
  async function assertSeedsOnlyRegularFiles (): Promise<void> {
    const status = await sb.json(['status', '--data-dir', sb.path('victim')])
    for (const s of status.shares ?? []) {
      const st = await lstat(s.path)
      assert.ok(st.isFile() && !st.isSymbolicLink(), `seeded ${String(s.path)} is a regular file`)
      assert.equal(await realpath(s.path), s.path, `seeded ${String(s.path)} is reached without a link`)
    }
  }

  it('a link planted at the partial file (and its state) is replaced, never written through; the file seeded is ours', async () => {
    const id = await expectedFileId(sb.path('share-a', 'doc.bin'))
    const out = await sb.mkdir('out-link')
    const secret = await secretFile('secret.txt')
    const other = await secretFile('other.txt')
    await mkdir(join(out, PARTIAL))
    await symlink(secret, join(out, PARTIAL, `${id}.part`))
    await symlink(other, join(out, PARTIAL, `${id}.state.tmp`))

    const r = await get('doc.bin', out)
    assert.equal(r.code, 0, r.stderr)
    assert.ok((await readFile(secret, 'utf8')) === SECRET, 'the file the link pointed at is untouched')
    assert.ok((await readFile(other, 'utf8')) === SECRET, 'the file the state link pointed at is untouched')
    const path = join(out, 'doc.bin')
    assert.equal(JSON.parse(r.stdout).path, path)
    const st = await lstat(path)
    assert.ok(st.isFile() && !st.isSymbolicLink(), 'the finished file is a regular file, not a link')
    assert.equal(await sha256File(path), await sha256File(sb.path('share-a', 'doc.bin')))
    await waitFor(async () => ((await sb.ask(sb.path('victim'), 'status')).shares ?? []).some((s: any) => s.path === path), 'the download seeded')
    await assertSeedsOnlyRegularFiles()
  })

  it('a partial folder that is a link makes the get refuse with one line, writing nothing through it', async () => {
    const out = await sb.mkdir('out-dirlink')
    const elsewhere = await sb.mkdir('victim-home', 'elsewhere')
    await symlink(elsewhere, join(out, PARTIAL))
    const r = await get('doc.bin', out)
    assert.equal(r.code, 1, r.stdout)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^fsnode: .*\.fsnode-partial.* (symbolic )?link/)
    assert.deepEqual(await readdir(elsewhere), [], 'nothing written through the link')
    await assertSeedsOnlyRegularFiles()
  })

  it('a forged state marking every chunk done is not trusted: the chunks are re-hashed and re-fetched', async () => {
    const src = sb.path('share-a', 'doc.bin')
    const id = await expectedFileId(src)
    const size = (await lstat(src)).size
    const chunkSize = chunkSizeFor(size)
    const chunks = chunkCount(size, chunkSize)
    const out = await sb.mkdir('out-forged')
    // right size, wrong bytes; a state that claims all of them verified
    await writeRandom(join(out, PARTIAL, `${id}.part`), size)
    const done = Buffer.alloc(Math.ceil(chunks / 8), 0xff)
    await writeFile(join(out, PARTIAL, `${id}.state`), JSON.stringify({ version: 1, fileId: id, size, chunkSize, done: done.toString('base64') }))

    const r = await get(id, out)
    assert.equal(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout)
    assert.equal(result.resumedChunks, 0, 'no forged chunk counted as done')
    assert.equal(await sha256File(result.path), await sha256File(src), 'the bytes match the manifest')
  })

  it('a folder get of a few hundred small files completes: files finishing while others start do not race on the partial folder', async function () {
    // was: "cannot create .../.fsnode-partial/<id>.part: ENOENT", one download removing the
    // empty partial folder while another was creating its file in it
    this.timeout(420_000) // a few hundred gets on a loaded machine
    const out = await sb.mkdir('out-many')
    const r = await get('many/', out, 400_000)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).files.length, MANY)
    const names = await readdir(join(out, 'many'))
    assert.equal(names.length, MANY)
    for (const i of [0, 150, MANY - 1]) assert.equal(await readFile(join(out, 'many', `f${i}.txt`), 'utf8'), `small file ${i}\n`)
    assert.ok(!(await readdir(out)).includes(PARTIAL), 'the partial folder is gone')
  })

  it('a folder get never writes through a symlinked folder under --out', async () => {
    const out = await sb.mkdir('out-folder')
    const elsewhere = await sb.mkdir('victim-home', 'photos-elsewhere')
    await symlink(elsewhere, join(out, 'photos'))
    const r = await get('photos/', out)
    assert.equal(r.code, 1, r.stdout)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^fsnode: .*photos.* (symbolic )?link/)
    assert.deepEqual(await readdir(elsewhere), [], 'nothing written through the link')
    await assertSeedsOnlyRegularFiles()
  })
})

describe('hardening: seeding a download only while it is the file the download left', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  afterEach(async () => { await cleanup.run() })

  /**
   * A real download between two hosts into a node's real share index, then `swap` runs at a
   * step of seeding (as someone racing the node would): the finished file is replaced by a link
   * to a private file.
   */
  async function seedWithSwap (when: 'before' | 'after'): Promise<{ index: ShareIndex, path: string, secret: string, listed: string[] }> {
    const dir = await tempDir(cleanup, 'fsnode-seed-swap-')
    const provider = await makeProvider(cleanup)
    const f = provider.source.add(await shareFile(await randomFile(join(dir, 'src.bin'), 300_000), 'doc.bin'))
    const secret = join(dir, 'secret.txt')
    await writeFile(secret, SECRET)
    const swap = async (path: string): Promise<void> => {
      await symlink(secret, `${path}.link`)
      await rename(`${path}.link`, path)
    }
    await mkdir(join(dir, 'share'))
    const index = new ShareIndex({ dataDir: join(dir, 'data'), roots: [{ path: join(dir, 'share') }], watch: false, flushMs: 20 })
    await index.start()
    cleanup.add(async () => { await index.stop() })
    const listed: string[] = []
    const share = {
      addSeeds: async (seeds: Seed[]) => {
        if (when === 'before') await swap(seeds[0].path)
        return await index.addSeeds(seeds)
      }
    }
    const shareList = { addAll: async (e: Array<{ path: string }>) => { listed.push(...e.map(x => x.path)) } }
    const client = await makeHost(cleanup)
    const config = { downloadsDir: join(dir, 'out'), seed: true, limits: { ...DEFAULT_LIMITS } } as unknown as NodeConfig
    const seeder = new Seeder(share, shareList)
    const downloads = new Downloads({ host: client as any, finder: {} as any, config, share: index, fetched: async f => { await seeder.seed(f) } })
    const r = await downloads.fetch({ fileId: f.fileId.toString(), name: 'doc.bin', size: f.size, providers: [{ peerId: provider.info.peerId, addrs: provider.host.getMultiaddrs() }] }, join(dir, 'out'), 'doc.bin')
    assert.equal(r.path, join(dir, 'out', 'doc.bin'))
    if (when === 'after') {
      const seeded = index.getByName('doc.bin')
      assert.equal(seeded?.path, r.path, 'seeded')
      await swap(r.path)
      // what the chunk server does when the path no longer opens the file indexed
      if (seeded == null) throw new Error('not seeded')
      index.revalidate(seeded)
      await index.settled()
    }
    return { index, path: r.path, secret, listed }
  }

  it('a file swapped for a link before it is shared is not shared, nor remembered', async () => {
    const { index, path, secret, listed } = await seedWithSwap('before')
    assert.equal(index.getByName('doc.bin'), undefined)
    assert.equal(index.files().some(f => f.path === path || f.path === secret), false)
    assert.equal(index.roots().some(r => r.path === path), false, 'no root kept for it')
    assert.deepEqual(listed, [], 'not remembered across restarts')
  })

  it('a seed swapped for a link afterwards is unshared when found, and the link\'s target never shared', async () => {
    const { index, path, secret } = await seedWithSwap('after')
    assert.equal(index.getByName('doc.bin'), undefined)
    assert.equal(index.files().some(f => f.path === path || f.path === secret), false)
  })
})
