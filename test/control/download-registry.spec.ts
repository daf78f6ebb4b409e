import assert from 'node:assert/strict'
import { DownloadRegistry } from '../../src/node/download-registry.js'
import { NodeEvents } from '../../src/node/events.js'
import type { Download, GetOptions, GetResult } from '../../src/node/api.js'

/** A get that reports progress, then waits for `finish` or its signal. */
function fakeRun (): { run: (t: string, o: GetOptions) => Promise<GetResult>, finish: Map<string, () => void>, outs: Array<string | undefined> } {
  const finish = new Map<string, () => void>()
  const outs: Array<string | undefined> = []
  const run = async (target: string, o: GetOptions): Promise<GetResult> => {
    outs.push(o.out)
    o.onProgress?.({ bytesDone: 10, bytesTotal: 100, peers: 2, rate: 5 })
    return await new Promise((resolve, reject) => {
      finish.set(target, () => resolve({ fileId: 'f', name: target, size: 100, path: `/x/${target}`, seconds: 1, bytesPerSecond: 100, providers: [] }))
      o.signal?.addEventListener('abort', () => reject(o.signal?.reason))
      if (target.startsWith('fail')) reject(Object.assign(new Error('no such file\nsecond line'), { name: 'UnknownFileError' }))
    })
  }
  return { run, finish, outs }
}

describe('node: download registry', () => {
  it('keeps live progress, rate, ETA and peers; a done one has its result', async () => {
    const { run, finish } = fakeRun()
    const events = new NodeEvents()
    const seen: Download[] = []
    events.on('download', d => seen.push(d))
    const reg = new DownloadRegistry({ run, defaultOut: '/tmp/dl', events, eventIntervalMs: 0 })
    const d = reg.start('a.txt')
    assert.equal(d.state, 'running')
    const live = reg.get(d.id)
    assert.deepEqual([live.bytesDone, live.bytesTotal, live.rate, live.peers, live.etaSeconds], [10, 100, 5, 2, 18])
    finish.get('a.txt')?.()
    await new Promise(resolve => setImmediate(resolve))
    const done = reg.get(d.id)
    assert.equal(done.state, 'done')
    assert.equal(done.result?.path, '/x/a.txt')
    assert.equal(done.bytesDone, 100)
    assert.ok(done.endedAt != null)
    assert.equal(seen.at(-1)?.state, 'done')
  })

  it('a get by file id is named by the file\'s name once the get knows it, while it runs', async () => {
    let resolved: ((f: { name: string, fileId: string }) => void) | undefined
    const reg = new DownloadRegistry({
      run: async (_target, o) => { resolved = o.onResolved; return await new Promise(() => {}) },
      defaultOut: '/tmp/dl',
      eventIntervalMs: 0
    })
    const id = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const d = reg.start(id)
    assert.equal(d.name, id, 'the id until the name is known')
    resolved?.({ name: 'photos/beach.jpg', fileId: id })
    const live = reg.get(d.id)
    assert.equal(live.state, 'running')
    assert.equal(live.name, 'photos/beach.jpg')
    assert.equal(live.fileId, id)
    assert.equal(live.target, id)
  })

  it('the same target into the same folder while running is the same download', () => {
    const { run, outs } = fakeRun()
    const reg = new DownloadRegistry({ run, defaultOut: '/tmp/dl' })
    const a = reg.start('a.txt')
    assert.equal(reg.start('a.txt').id, a.id)
    assert.notEqual(reg.start('a.txt', '/tmp/other').id, a.id)
    assert.equal(outs.length, 2)
  })

  it('cancel aborts it once; unknown ids and finished ones are refused by name', async () => {
    const { run } = fakeRun()
    const reg = new DownloadRegistry({ run, defaultOut: '/tmp/dl' })
    const d = reg.start('a.txt')
    assert.equal(reg.cancel(d.id).state, 'cancelled')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(reg.get(d.id).state, 'cancelled')
    assert.throws(() => reg.cancel(d.id), { name: 'DownloadNotRunningError' })
    assert.throws(() => reg.cancel('nope'), { name: 'UnknownDownloadError' })
    const f = reg.start('fail.txt')
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(reg.get(f.id).error, { code: 'UnknownFileError', message: 'no such file' })
  })

  it('is bounded: running ones up to maxRunning, finished ones up to maxFinished, running listed first', async () => {
    const { run, finish } = fakeRun()
    const reg = new DownloadRegistry({ run, defaultOut: '/tmp/dl', maxRunning: 2, maxFinished: 2 })
    reg.start('a')
    reg.start('b')
    assert.throws(() => reg.start('c'), { name: 'TooManyDownloadsError' })
    finish.get('a')?.()
    await new Promise(resolve => setImmediate(resolve))
    for (const t of ['c', 'd', 'e']) {
      reg.start(t)
      finish.get(t)?.()
      await new Promise(resolve => setImmediate(resolve))
    }
    const list = reg.list()
    assert.deepEqual(list.map(d => d.target), ['b', 'e', 'd'])
    assert.equal(list[0].state, 'running')
  })
})
