import assert from 'node:assert/strict'
import { IndexClient } from '../../src/index/client.js'
import { MAX_ENTRIES_PER_PEER } from '../../src/index/constants.js'
import { entryProblem } from '../../src/index/validate.js'
import { sanitizeName } from '../../src/transfer/sanitize.js'
import { Scene, file, fileIdOf } from '../index/helpers.js'
import { Cleanup, makeHost } from '../transfer/helpers.js'
import { Sandbox } from '../e2e/harness.js'
import { RejectionGuard } from './fuzz.js'
import { fakeCoordinator } from './fake-coordinator.js'
import { MAX_REMOTE_TEXT } from '../../src/util/constants.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorService } from '../../src/index/service.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const FLOOD_ENTRIES = 1_000_000
/** Entries per announce message: as many as fit in one frame. */
const BATCH = 15_000
/** Longest an honest request may wait while the flood goes on. */
const HONEST_LATENCY = 2_000

// test/index covers: entries keyed by the authenticated peer, addresses naming another peer,
// malformed frames, names with '..', '/', '\\', control characters and 10 KB, and QUOTA at a
// small limit. Here: a flood at the real quota, and a peer that tries to touch others' entries.
describe('hardening: a hostile peer at the coordinator', function () {
  this.timeout(120_000)
  const guard = new RejectionGuard()
  let scene: Scene
  let coord: { node: Host, service: CoordinatorService, addr: Multiaddr }

  before(async () => {
    guard.install()
    scene = new Scene()
    coord = await scene.coordinator({ dataDir: await scene.tmpDir() })
  })
  after(async () => {
    await scene.cleanup()
    guard.uninstall()
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)
  })

  async function client (): Promise<{ node: Host, index: IndexClient }> {
    const node = await scene.host()
    const index = IndexClient.forNode(node, coord.addr, { timeout: 30_000 })
    scene.defer(async () => { await index.close() })
    return { node, index }
  }

  it(`a flood of ${FLOOD_ENTRIES.toLocaleString('en')} entries stops at the per-peer quota with QUOTA; others are served meanwhile`, async () => {
    const hostile = await client()
    const honest = await client()
    const mine = await file('honest/report.pdf')
    await honest.index.announce({ replace: true, files: [mine] })
    const fileId = (await fileIdOf('flood')).bytes
    let stop = false
    let worst = 0
    let honestCalls = 0
    // an honest peer keeps searching and announcing while the flood runs
    const honestLoop = (async () => {
      while (!stop) {
        const t0 = Date.now()
        assert.equal((await honest.index.search('report')).entries.length, 1)
        await honest.index.announce({ files: [await file(`honest/${honestCalls}.txt`)] })
        worst = Math.max(worst, Date.now() - t0)
        honestCalls++
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    })()
    const codes: Record<string, number> = {}
    const t0 = Date.now()
    try {
      for (let from = 0; from < FLOOD_ENTRIES; from += BATCH) {
        const files = Array.from({ length: Math.min(BATCH, FLOOD_ENTRIES - from) }, (_, i) => ({ name: `f${from + i}`, fileId, size: 1, mtime: 1 }))
        const code = await hostile.index.announce({ replace: from === 0, files }).then(() => 'OK', (err: any) => String(err.code))
        codes[code] = (codes[code] ?? 0) + 1
      }
    } finally {
      stop = true
      await honestLoop
    }
    const seconds = (Date.now() - t0) / 1000
    console.log(`      flood: ${JSON.stringify(codes)} in ${seconds.toFixed(1)} s; ${honestCalls} honest rounds, the slowest ${worst} ms`)
    const hostileId = hostile.node.peerId.toString()
    // a message that would cross the quota is refused whole: the peer ends just under it
    const kept = coord.service.store.count(hostileId)
    assert.ok(kept <= MAX_ENTRIES_PER_PEER && kept > MAX_ENTRIES_PER_PEER - BATCH, `${kept} entries kept`)
    assert.equal(codes.OK, Math.floor(MAX_ENTRIES_PER_PEER / BATCH))
    assert.equal(codes.QUOTA, Math.ceil(FLOOD_ENTRIES / BATCH) - codes.OK)
    assert.ok(honestCalls > 0 && worst < HONEST_LATENCY, `an honest round took ${worst} ms`)
    assert.equal(coord.service.store.count(honest.node.peerId.toString()), honestCalls + 1, 'every honest announce accepted')
  })

  it("cannot replace, withdraw or shadow another peer's entries", async () => {
    const honest = await client()
    const hostile = await client()
    const shared = await file('shared/contract.pdf')
    await honest.index.announce({ replace: true, files: [shared] })
    // the same name and file id, a snapshot that "replaces everything", a withdraw of it
    await hostile.index.announce({ replace: true, files: [{ ...shared, size: 1 }] })
    await hostile.index.announce({ replace: true, files: [] })
    assert.deepEqual(await hostile.index.withdraw([shared.name]), { removed: 0 })
    const [found] = await honest.index.lookup({ name: shared.name })
    assert.deepEqual(found.providers.map(p => p.peerId), [honest.node.peerId.toString()])
    assert.equal(found.size, shared.size)
    const entries = (await honest.index.list({ prefix: 'shared/' })).entries
    assert.deepEqual(entries.map(e => [e.name, e.peerId]), [[shared.name, honest.node.peerId.toString()]])
  })

  it('a coordinator with an allow-list: others get FORBIDDEN for announce and withdraw, and may still read', async () => {
    const member = await scene.host()
    const closed = await scene.coordinator({ dataDir: await scene.tmpDir(), allowPeers: [member.peerId.toString()] })
    const ok = IndexClient.forNode(member, closed.addr)
    const stranger = IndexClient.forNode(await scene.host(), closed.addr)
    scene.defer(async () => { await ok.close(); await stranger.close() })
    await ok.announce({ replace: true, files: [await file('members/only.txt')] })
    await assert.rejects(stranger.announce({ replace: true, files: [await file('spam.txt')] }), (err: any) => {
      assert.equal(err.code, 'FORBIDDEN')
      assert.match(err.message, /not in coordinator\.allowPeers/)
      return true
    })
    await assert.rejects(stranger.withdraw(['members/only.txt']), { code: 'FORBIDDEN' })
    assert.deepEqual((await stranger.list()).entries.map(e => e.name), ['members/only.txt'])
  })

  it('names that would render as something else (bidi overrides) are refused like control characters', async () => {
    const a = await client()
    const spoof = { ...(await file('x')), name: 'invoice\u202efdp.exe' }
    assert.match(entryProblem({ ...spoof, fileId: spoof.fileId.bytes }) ?? '', /control character/)
    await assert.rejects(a.index.announce({ files: [spoof] }), (err: any) => {
      assert.equal(err.code, 'BAD_REQUEST')
      assert.match(err.message, /^control character in name: /)
      return true
    })
    // right-to-left letters are ordinary in names
    await a.index.announce({ files: [{ ...spoof, name: 'שלום.txt' }] })
    assert.deepEqual((await a.index.lookup({ name: 'שלום.txt' })).map(r => r.name), ['שלום.txt'])
    // and a downloader told such a name by a hostile coordinator does not write it as is
    assert.equal(sanitizeName('invoice\u202efdp.exe', '/tmp/out').relative, 'invoice_fdp.exe')
  })

  const INVISIBLE_MARKS = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u061c', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff']
  for (const mark of INVISIBLE_MARKS) {
    const hex = `U+${mark.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    it(`a name with the zero-width or bidi mark ${hex} is refused with BAD_REQUEST and nothing is indexed`, async () => {
      const a = await client()
      const name = `pay${mark}pal/report.pdf`
      await assert.rejects(a.index.announce({ replace: true, files: [await file('before.txt'), { ...(await file('x')), name }] }), (err: any) => {
        assert.equal(err.code, 'BAD_REQUEST')
        assert.match(err.message, /(zero-width or bidi mark|control character) in name: /)
        // the refusal quotes the name with the mark escaped, not raw
        assert.ok(!err.message.includes(mark), err.message)
        return true
      })
      assert.equal(coord.service.store.count(a.node.peerId.toString()), 0, 'the whole message refused')
    })
  }
})

/** Names a hostile coordinator lists: escapes, \r, a fake success line, bidi, zero-width, C1. */
const HOSTILE_NAMES = [
  'report\u001b]0;pwned\u0007.pdf',
  'wipe\u001b[2J\u001b[H\rdone, 1 file verified OK.txt',
  'invoice\u202efdp.exe',
  'pay\u200bpal.txt',
  'dir\u009b2J/inner\u001b[31m.txt'
]
const BAD_BYTES = ['\u001b', '\r', '\u0007', '\u202e', '\u200b', '\u009b']

describe('hardening: names from a hostile coordinator on the terminal', function () {
  this.timeout(120_000)
  const cleanup = new Cleanup()
  let sb: Sandbox
  let coordinator: string

  before(async () => {
    sb = await Sandbox.create()
    cleanup.add(async () => { await sb.cleanup() })
    const provider = await makeHost(cleanup)
    const info = { peerId: provider.peerId.toString(), addrs: provider.getMultiaddrs().map(String) }
    const entries = await Promise.all(HOSTILE_NAMES.map(async name => ({ name, fileId: await fileIdOf(name), size: 10, provider: info })))
    coordinator = await fakeCoordinator(cleanup, entries)
  })
  after(async () => { await cleanup.run() })

  function assertClean (text: string): void {
    for (const bad of BAD_BYTES) {
      assert.ok(!text.includes(bad), `output contains U+${bad.charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`)
    }
  }

  for (const args of [['ls'], ['ls', '--flat'], ['search', 'pdf']]) {
    it(`\`fsnode ${args.join(' ')}\` prints the names without escapes, \\r, bidi or zero-width characters`, async () => {
      const r = await sb.run([...args, '--data-dir', sb.path('viewer'), '--coordinator', coordinator])
      assert.equal(r.code, 0, r.stderr)
      assertClean(r.stdout)
      assertClean(r.stderr)
      assert.ok(!r.stdout.includes(']0;pwned'), 'the title sequence is removed whole')
      // every name is still shown, one row each, in its cleaned form
      assert.match(r.stdout, /report\.pdf/)
      if (args[0] === 'ls') assert.match(r.stdout, /^wipe done, 1 file verified OK\.txt /m)
      if (args.includes('--flat')) assert.match(r.stdout, /^dir\/inner\.txt /m)
      else if (args[0] === 'ls') assert.match(r.stdout, /^dir\/ /m)
    })
  }

  it("a coordinator's error text with escapes and a fake success line reaches stderr stripped and capped", async () => {
    const text = `\u001b]0;pwned\u0007\u001b[2K\rdone, 1 file verified OK\n\u202eevil\u009b2J${'Z'.repeat(5000)}`
    const lying = await fakeCoordinator(cleanup, [], { code: `BAD_REQUEST\u001b[31m${'C'.repeat(100)}`, text })
    const r = await sb.run(['ls', '--data-dir', sb.path('viewer2'), '--coordinator', lying])
    assert.equal(r.code, 1, r.stderr)
    assertClean(r.stderr)
    assert.match(r.stderr, /^fsnode: .*done, 1 file verified OK/)
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`)
    assert.ok(!r.stderr.includes('Z'.repeat(MAX_REMOTE_TEXT + 1)), `not capped: ${r.stderr.length} characters`)
  })

  it('`fsnode ls --json` escapes them and keeps the names exact for a JSON reader', async () => {
    const r = await sb.run(['ls', '--flat', '--json', '--data-dir', sb.path('viewer'), '--coordinator', coordinator])
    assert.equal(r.code, 0, r.stderr)
    assertClean(r.stdout)
    assert.deepEqual(JSON.parse(r.stdout).map((f: any) => f.name).sort(), [...HOSTILE_NAMES].sort())
  })
})
