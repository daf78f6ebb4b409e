import assert from 'node:assert/strict'
import { copyFile, open, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { download } from '../../src/transfer/downloader.js'
import { NodeMetrics, metered } from '../../src/metrics/metrics.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from '../transfer/helpers.js'

const MiB = 1024 * 1024

function sample (text: string, line: string): number {
  const l = text.split('\n').find(x => x.startsWith(`${line} `))
  return l == null ? 0 : Number(l.slice(l.lastIndexOf(' ') + 1))
}

/** Real libp2p hosts and chunk servers; the metrics a node would export for the download. */
describe('metrics: chunks verified and rejected', function () {
  this.timeout(60_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  it('a provider sending wrong bytes shows as rejected chunks (bad-data); the good ones as verified', async () => {
    const src = await tempDir(cleanup)
    const [liar, honest, client] = await Promise.all([makeProvider(cleanup), makeProvider(cleanup), makeHost(cleanup)])
    const path = await randomFile(join(src, 'f.bin'), 4 * MiB)
    const file = honest.source.add(await shareFile(path, 'f.bin'))
    // the liar serves the same manifest over tampered bytes, its mtime put back so it does not notice
    const copy = join(src, 'f.liar')
    await copyFile(path, copy)
    const t = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
    await utimes(copy, t, t)
    const lie = await shareFile(copy, 'f.bin')
    const fh = await open(copy, 'r+')
    for (let off = 100; off < 4 * MiB; off += 256 * 1024) await fh.write(Buffer.from('tampered'), 0, 8, off)
    await fh.close()
    await utimes(copy, t, t)
    const st = await stat(copy)
    assert.equal(st.mtimeMs, lie.mtimeMs)
    // the server checks the file's ctime too: only an index that vouches for the edited file
    // (old manifest, new key) serves these bytes, i.e. a liar
    liar.source.add({ ...lie, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev } as any)

    const metrics = new NodeMetrics({ downloadsActive: () => 0, share: () => undefined, peersConnected: () => 0 })
    const r = await download({
      node: client,
      fileId: file.fileId,
      name: 'f.bin',
      providers: [liar.info, honest.info],
      outDir: await tempDir(cleanup),
      // focus off: from one provider at the start, the liar might never be asked
      focus: false,
      limiter: () => metered(undefined, bytes => metrics.received('chunk', bytes)),
      observer: { verified: () => metrics.chunkVerified(), rejected: reason => metrics.chunkRejected(reason) }
    })
    assert.equal(await sha256File(r.path), await sha256File(path))
    const { body } = await metrics.scrape()
    assert.ok(sample(body, 'fsnode_chunks_rejected_total{reason="bad-data"}') >= 1, body)
    // every chunk once, plus any endgame duplicate (verified too, then dropped)
    assert.ok(sample(body, 'fsnode_chunks_verified_total') >= r.manifest.chunks, body)
    // the liar's rejected bytes were received too
    assert.ok(sample(body, 'fsnode_bytes_received_total{protocol="chunk"}') > 4 * MiB, body)
  })
})
