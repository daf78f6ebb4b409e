import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { download } from '../../src/transfer/downloader.js'
import { CHUNK_PROTOCOL, PARTIAL_DIR } from '../../src/transfer/constants.js'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { Cleanup, makeHost, makeProvider, randomFile, sha256File, shareFile, tempDir } from '../transfer/helpers.js'
import { RejectionGuard } from './fuzz.js'
import { fakeCoordinator } from './fake-coordinator.js'
import { Sandbox } from '../e2e/harness.js'
import { MAX_REMOTE_TEXT } from '../../src/util/constants.js'
import type { TestProvider } from '../transfer/helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
// short, so a stalling provider is given up on quickly, yet long enough for a first dial (TCP,
// Noise, yamux) on a loaded machine: at 1 s both providers' manifest requests timed out
const CHUNK_TIMEOUT = 2_000
const MANIFEST_TIMEOUT = 5_000
/** The downloader gives up on a lone liar well within this (it does not hang). */
const GIVE_UP_WITHIN = 30_000

type Misbehaviour = 'wrong-bytes' | 'wrong-manifest' | 'huge-manifest' | 'silent-manifest' | 'truncated-chunk' |
  'short-length' | 'stall-mid-chunk' | 'junk-after-chunk'

/** What each hostile provider does, and what the downloader should say when it is alone. */
const CASES: Array<[Misbehaviour, string, RegExp]> = [
  ['wrong-bytes', 'serves random bytes for every chunk', /ChunksUnavailableError.*bad-data.*does not match/],
  ['wrong-manifest', "serves another file's manifest", /ManifestUnavailableError/],
  ['huge-manifest', 'announces a 1 TiB manifest', /ManifestUnavailableError.*too large/],
  ['silent-manifest', 'never answers the manifest request', /ManifestUnavailableError/],
  ['truncated-chunk', 'sends half a chunk and closes the stream', /ChunksUnavailableError/],
  ['short-length', 'announces a chunk one byte short', /ChunksUnavailableError.*bad-data/],
  ['stall-mid-chunk', 'stalls forever in the middle of a chunk', /ChunksUnavailableError.*timeout/],
  ['junk-after-chunk', 'sends garbage after each chunk', /ChunksUnavailableError/]
]

/** A host serving CHUNK_PROTOCOL for `file`, wrongly in the way asked. */
async function hostileProvider (cleanup: Cleanup, file: SharedFile, other: SharedFile, how: Misbehaviour): Promise<{ peerId: string, addrs: string[] }> {
  const host = await makeHost(cleanup)
  const streams = new Set<Stream>()
  cleanup.add(() => { for (const s of streams) s.abort(new Error('test over')) })
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    streams.add(stream)
    const reader = new StreamReader(stream)
    const ok = (length: number): boolean => stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length })))
    void (async () => {
      for (let f; (f = await reader.readLp(1024)) != null;) {
        const req = ChunkRequest.decode(f)
        if (req.type === ChunkRequest.Type.MANIFEST) {
          if (how === 'silent-manifest') continue
          if (how === 'huge-manifest') { ok(2 ** 40); continue }
          const bytes = how === 'wrong-manifest' ? other.manifest.bytes : file.manifest.bytes
          ok(bytes.byteLength)
          stream.send(bytes)
          continue
        }
        const length = file.manifest.chunkLength(req.index)
        const honest = await chunkOf(file, req.index)
        switch (how) {
          case 'wrong-bytes': ok(length); stream.send(randomBytes(length)); break
          case 'truncated-chunk': ok(length); stream.send(honest.subarray(0, length >> 1)); await stream.close(); return
          case 'short-length': ok(length - 1); stream.send(honest.subarray(0, length - 1)); break
          case 'stall-mid-chunk': ok(length); stream.send(honest.subarray(0, length >> 1)); return // and never more
          case 'junk-after-chunk': ok(length); stream.send(honest); stream.send(randomBytes(100)); break
          default: ok(length); stream.send(honest)
        }
      }
    })().catch(() => {})
  })
  return { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) }
}

async function chunkOf (file: SharedFile, index: number): Promise<Uint8Array> {
  const { open } = await import('node:fs/promises')
  const fh = await open(file.path, 'r')
  try {
    const buf = Buffer.alloc(file.manifest.chunkLength(index))
    await fh.read(buf, 0, buf.byteLength, index * file.manifest.chunkSize)
    return buf
  } finally {
    await fh.close()
  }
}

describe('hardening: hostile providers against the real downloader', function () {
  this.timeout(90_000)
  const guard = new RejectionGuard()
  const cleanup = new Cleanup()
  let honest: TestProvider
  let client: Host
  let file: SharedFile
  let other: SharedFile

  before(async () => {
    guard.install()
    const dir = await tempDir(cleanup)
    honest = await makeProvider(cleanup)
    client = await makeHost(cleanup)
    file = honest.source.add(await shareFile(await randomFile(join(dir, 'data.bin'), 4 * MiB), 'data.bin'))
    other = await shareFile(await randomFile(join(dir, 'other.bin'), 4 * MiB), 'other.bin')
  })
  after(async () => {
    await cleanup.run()
    guard.uninstall()
    assert.equal(guard.seen.length, 0, `unhandled rejections:\n${guard.describe()}`)
  })

  const options = { chunkTimeout: CHUNK_TIMEOUT, manifestTimeout: MANIFEST_TIMEOUT }

  for (const [how, what, aloneError] of CASES) {
    it(`a provider that ${what}: completes from the honest one; alone, fails clearly and writes nothing final`, async () => {
      const liar = await hostileProvider(cleanup, file, other, how)
      // beside an honest provider (the liar listed first): the right bytes, from the honest one
      const out = await tempDir(cleanup)
      const r = await download({ node: client, fileId: file.fileId, name: 'data.bin', providers: [liar, honest.info], outDir: out, ...options })
      assert.equal(await sha256File(r.path), await sha256File(file.path))
      assert.deepEqual(await readdir(out), ['data.bin'])
      assert.ok((r.chunksFromPeer[honest.info.peerId] ?? 0) > 0)

      // alone: one clear error naming why, the partial kept aside, nothing under the name
      const alone = await tempDir(cleanup)
      const t0 = Date.now()
      await assert.rejects(
        download({ node: client, fileId: file.fileId, name: 'data.bin', providers: [liar], outDir: alone, ...options }),
        (err: Error) => {
          assert.match(`${err.name}: ${err.message}`, aloneError)
          assert.ok(!err.message.includes('\n'), 'one line')
          return true
        }
      )
      assert.ok(Date.now() - t0 < GIVE_UP_WITHIN, `gave up after ${Date.now() - t0} ms`)
      const left = await readdir(alone)
      assert.ok(!left.includes('data.bin'), `found ${left.join(', ')}`)
      assert.ok(left.every(n => n === PARTIAL_DIR))
    })
  }
})

/** An error text meant to take over the terminal: retitle it, erase and rewrite the line,
 * print a fake success, reverse the text, clear the screen (8-bit CSI), and be long. */
const HOSTILE_TEXT = '\u001b]0;pwned\u0007\u001b[2K\r\u001b[1Adone, 1 file verified OK\n\u202eKO deifirev\u202c\u009b2J\u200b' + 'Z'.repeat(3000)

/** A provider that answers the manifest (or, once the manifest is served, every chunk) with
 * ERROR and HOSTILE_TEXT. */
async function lyingProvider (cleanup: Cleanup, file: SharedFile, phase: 'manifest' | 'chunk'): Promise<{ peerId: string, addrs: string[] }> {
  const host = await makeHost(cleanup)
  await host.handle(CHUNK_PROTOCOL, (stream) => {
    const reader = new StreamReader(stream)
    void (async () => {
      for (let f; (f = await reader.readLp(1024)) != null;) {
        const req = ChunkRequest.decode(f)
        if (req.type === ChunkRequest.Type.MANIFEST && phase === 'chunk') {
          stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.OK, length: file.manifest.bytes.byteLength })))
          stream.send(file.manifest.bytes)
          continue
        }
        stream.send(lpEncode(ChunkResponse.encode({ status: ChunkResponse.Status.ERROR, length: 0, error: HOSTILE_TEXT })))
      }
    })().catch(() => {})
  })
  return { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) }
}

describe('hardening: a hostile provider\'s error text on the terminal of `fsnode get`', function () {
  this.timeout(120_000)
  const cleanup = new Cleanup()
  let sb: Sandbox
  let file: SharedFile

  before(async () => {
    sb = await Sandbox.create()
    cleanup.add(async () => { await sb.cleanup() })
    file = await shareFile(await randomFile(sb.path('report.pdf'), MiB), 'report.pdf')
  })
  after(async () => { await cleanup.run() })

  for (const phase of ['manifest', 'chunk'] as const) {
    it(`an OSC title, CSI, \\r, bidi overrides and a fake "done" line in a ${phase} error reach stderr stripped and capped`, async () => {
      const liar = await lyingProvider(cleanup, file, phase)
      const coordinator = await fakeCoordinator(cleanup, [{ name: 'report.pdf', fileId: file.fileId, size: file.size, provider: liar }])
      const r = await sb.run(['get', 'report.pdf', '--data-dir', sb.path(`dl-${phase}`), '--coordinator', coordinator, '--out', sb.path(`out-${phase}`)])
      assert.equal(r.code, 1, r.stderr)
      assert.equal(r.stdout, '')
      // the provider's words are reported (so the user learns why), inert and on the one line
      assert.match(r.stderr, phase === 'manifest' ? /^fsnode: no provider answered with the manifest .*ERROR: / : /^fsnode: no provider could supply chunks .*ERROR for chunk \d+: /)
      assert.match(r.stderr, /done, 1 file verified OK/)
      for (const bad of ['\u001b', '\r', '\u0007', '\u202e', '\u202c', '\u009b', '\u200b']) {
        assert.ok(!r.stderr.includes(bad), `stderr contains U+${bad.charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(r.stderr)}`)
      }
      assert.ok(!r.stderr.includes(']0;pwned'), 'the title sequence is removed whole')
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`)
      assert.ok(r.stderr.endsWith('\n'))
      // capped: at most MAX_REMOTE_TEXT characters of the 3000 Zs
      assert.ok(!r.stderr.includes('Z'.repeat(MAX_REMOTE_TEXT + 1)), `not capped: ${r.stderr.length} characters`)
      assert.ok(r.stderr.length < 2 * MAX_REMOTE_TEXT + 400, `${r.stderr.length} characters`)
    })
  }
})
