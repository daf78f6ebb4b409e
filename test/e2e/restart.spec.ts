// A node restarted on its data dir: it shares what its hash cache knew at once and scans after it
// answers, and the seeds it fetched are written to shares.json in batches (flushed when it
// stops). What it shares after
// the restart must still be right: a file changed while it was down is re-hashed (the new content
// is served, under its new file id), an unchanged one comes from the hash cache, and a download
// it seeded just before stopping is served again.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { Sandbox, waitFor } from './harness.js'
import { expectedFileId, sha256File, writeRandom, writeText } from './files.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'

describe('e2e: restart', function () {
  this.timeout(180_000)
  let sb: Sandbox

  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb.cleanup() })

  it('re-hashes a file changed while stopped, keeps the unchanged ones, and serves a seed fetched just before stopping', async () => {
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    await writeRandom(sb.path('share-p', 'seed.bin'), 300 * 1024)
    await writeText(sb.path('share-n', 'keep.txt'), 'unchanged\n')
    await writeText(sb.path('share-n', 'change.txt'), 'version one\n')
    const p = await sb.daemon(['start', '--data-dir', sb.path('p'), '--share', sb.path('share-p'), '--listen', LOCAL, '--coordinator', coord.addr])
    const nArgs = ['start', '--data-dir', sb.path('n'), '--share', sb.path('share-n'), '--downloads', sb.path('n-downloads'), '--listen', LOCAL, '--coordinator', coord.addr]
    let n = await sb.daemon(nArgs)
    await waitFor(async () => {
      const l = await sb.ask<any[]>(sb.path('n'), 'ls')
      return l.length >= 3 ? l : undefined
    }, 'three files listed', 30_000)
    const got = await sb.json(['get', 'seed.bin', '--data-dir', sb.path('n')])
    assert.equal(got.path, sb.path('n-downloads', 'seed.bin'))
    // stopped at once: the seed must reach shares.json on the way down
    await n.stop()
    await writeFile(sb.path('share-n', 'change.txt'), 'version two, longer\n')
    await p.stop()

    n = await sb.daemon(nArgs)
    // it answers with what its hash cache knew (change.txt's old version included: the chunk
    // server refuses it on open; the seed too, stopped at once after its get: its hash cache
    // row is written before shares.json names it), then its scan corrects that. The scan starts
    // as the node answers: change.txt may already be out of the index and being hashed again
    const early = await sb.ask(sb.path('n'), 'status')
    assert.equal(early.share.files + early.share.hashing, 3, `${early.share.files} files shared before the scan, ${early.share.hashing} hashing`)
    await waitFor(async () => (await sb.ask(sb.path('n'), 'status')).share.scanMs > 0, 'the scan done', 30_000)
    const s = await sb.json(['status', '--data-dir', sb.path('n')])
    assert.equal(s.share.files, 3)
    assert.equal(s.share.hashed, 1, 'only the changed file is hashed again')
    assert.equal(s.share.cached, 2, 'keep.txt from the hash cache, and the seed remembered at download')
    assert.deepEqual(s.shares.map((x: any) => [x.path, x.kind]), [[sb.path('n-downloads', 'seed.bin'), 'seed']])
    // providing on the DHT starts once the node is ready: every shared file id is taken up
    await waitFor(async () => (await sb.ask(sb.path('n'), 'status')).dht.files === 3, 'three file ids in the DHT upkeep', 30_000)

    // another node gets both from the restarted one (the provider of seed.bin is gone)
    const newId = await expectedFileId(sb.path('share-n', 'change.txt'))
    const changed = await waitFor(async () => {
      const l = await sb.ask<any[]>(sb.path('n'), 'ls')
      return l.find((f: any) => f.name === 'change.txt' && f.fileId === newId && f.providers.some((x: any) => x.peerId === n.peerId && x.online === true))
    }, 'the new version announced', 30_000)
    assert.equal(changed.size, 'version two, longer\n'.length)
    const getArgs = (target: string, out: string): string[] => ['get', target, '--data-dir', sb.path('dl'), '--coordinator', coord.addr, '--out', sb.path(out)]
    const r1 = await sb.json(getArgs('change.txt', 'out1'))
    assert.equal(await sha256File(r1.path), await sha256File(sb.path('share-n', 'change.txt')))
    const r2 = await sb.json(getArgs('seed.bin', 'out2'))
    assert.deepEqual(r2.providers, [n.peerId])
    assert.equal(await sha256File(r2.path), await sha256File(sb.path('share-p', 'seed.bin')))
  })
})
