import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { CHUNK_PROTOCOL, MAX_CHUNK_REQUEST_FRAME, MAX_CHUNK_RESPONSE_HEADER } from '../../src/wire/constants.js'
import { Manifest } from '../../src/wire/file-manifest.js'
import { Cleanup, makeHost, makeProvider, randomFile, shareFile, tempDir } from './helpers.js'
import { until } from '../hardening/net.js'
import type { TestProvider } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { Stream } from '@libp2p/interface'

const req = (type: ChunkRequest.Type, fileId: Uint8Array, index = 0): Uint8Array =>
  lpEncode(ChunkRequest.encode({ type, fileId: fileId as Uint8Array<ArrayBuffer>, index }))

describe('transfer/server', function () {
  this.timeout(20_000)
  const cleanup = new Cleanup()
  let provider: TestProvider
  let client: Host
  let file: SharedFile
  let dir: string

  before(async () => {
    dir = await tempDir(cleanup)
    provider = await makeProvider(cleanup, { idleTimeout: 2_000 })
    client = await makeHost(cleanup)
    file = provider.source.add(await shareFile(await randomFile(join(dir, 'a.bin'), 300 * 1024), 'a.bin'))
  })
  after(async () => { await cleanup.run() })

  async function open (): Promise<{ stream: Stream, reader: StreamReader }> {
    const stream = await client.dialProtocol(multiaddr(provider.info.addrs[0]), CHUNK_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
    return { stream, reader: new StreamReader(stream) }
  }

  async function response (reader: StreamReader): Promise<{ res: ChunkResponse, body: Uint8Array }> {
    const signal = AbortSignal.timeout(5_000)
    const frame = await reader.readLp(MAX_CHUNK_RESPONSE_HEADER, signal)
    assert.ok(frame != null, 'a response')
    const res = ChunkResponse.decode(frame)
    const body = res.length > 0 ? (await reader.readExact(res.length, signal)).subarray() : new Uint8Array(0)
    return { res, body }
  }

  async function expectClosed (reader: StreamReader): Promise<void> {
    assert.equal(await reader.readLp(MAX_CHUNK_RESPONSE_HEADER, AbortSignal.timeout(5_000)), null)
  }

  /** After every failure case the server must still serve a fresh stream. */
  async function stillServes (): Promise<void> {
    const { stream, reader } = await open()
    stream.send(req(ChunkRequest.Type.CHUNK, file.fileId.bytes, 1))
    const { res, body } = await response(reader)
    assert.equal(res.status, ChunkResponse.Status.OK)
    assert.deepEqual(createHash('sha256').update(body).digest(), Buffer.from(file.manifest.chunkHash(1)))
    await stream.close()
  }

  it('serves the manifest and pipelined chunks in order on one stream', async () => {
    const { stream, reader } = await open()
    stream.send(req(ChunkRequest.Type.MANIFEST, file.fileId.bytes))
    stream.send(req(ChunkRequest.Type.CHUNK, file.fileId.bytes, 1))
    stream.send(req(ChunkRequest.Type.CHUNK, file.fileId.bytes, 0))
    const m = await response(reader)
    assert.ok(Manifest.decode(m.body, file.fileId).fileId.equals(file.fileId))
    const c1 = await response(reader)
    assert.equal(c1.body.byteLength, 300 * 1024 - 256 * 1024)
    const c0 = await response(reader)
    assert.deepEqual(createHash('sha256').update(c0.body).digest(), Buffer.from(file.manifest.chunkHash(0)))
    await stream.close()
    await expectClosed(reader)
  })

  it('answers pipelined requests for small files in one message (a folder get pays per message), and a lone request at once', async () => {
    const small = await Promise.all([0, 1, 2].map(async i => provider.source.add(await shareFile(await randomFile(join(dir, `small-${i}.bin`), 16 * 1024), `small-${i}.bin`))))
    const { stream, reader } = await open()
    let messages = 0
    stream.addEventListener('message', () => { messages++ })
    stream.send(Buffer.concat(small.flatMap(f => [req(ChunkRequest.Type.MANIFEST, f.fileId.bytes), req(ChunkRequest.Type.CHUNK, f.fileId.bytes, 0)])))
    for (const f of small) {
      const m = await response(reader)
      assert.ok(Manifest.decode(m.body, f.fileId).fileId.equals(f.fileId))
      const c = await response(reader)
      assert.deepEqual(createHash('sha256').update(c.body).digest(), Buffer.from(f.manifest.chunkHash(0)))
    }
    // six answers, 50 KiB: one message (two when the requests arrive split)
    assert.ok(messages <= 2, `${messages} messages for six answers`)
    // nothing is held back waiting for a request that does not come
    stream.send(req(ChunkRequest.Type.MANIFEST, small[0].fileId.bytes))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.OK)
    await stream.close()
  })

  it('answers NOT_FOUND for an unknown id, then closes the stream (it gives its slot back)', async () => {
    const other = await shareFile(await randomFile(join(dir, 'other.bin'), 10), 'other.bin')
    const { stream, reader } = await open()
    stream.send(req(ChunkRequest.Type.CHUNK, other.fileId.bytes, 0))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.NOT_FOUND)
    await expectClosed(reader)
    await until(() => provider.server.activeStreams === 0, 'the slot to be given back')
    await stream.close()
    await stillServes()
  })

  it('answers OUT_OF_RANGE past the last chunk', async () => {
    const { stream, reader } = await open()
    stream.send(req(ChunkRequest.Type.CHUNK, file.fileId.bytes, 2))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.OUT_OF_RANGE)
    stream.send(req(ChunkRequest.Type.CHUNK, file.fileId.bytes, 0xffffffff))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.OUT_OF_RANGE)
    await stream.close()
    await stillServes()
  })

  const malformed: Array<[string, Uint8Array]> = [
    ['garbage', lpEncode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))],
    ['an UNKNOWN type', lpEncode(ChunkRequest.encode({ type: ChunkRequest.Type.UNKNOWN, fileId: new Uint8Array(4) as Uint8Array<ArrayBuffer>, index: 0 }))],
    ['a file id that is not a CID', lpEncode(ChunkRequest.encode({ type: ChunkRequest.Type.CHUNK, fileId: new Uint8Array([1, 2, 3]) as Uint8Array<ArrayBuffer>, index: 0 }))],
    ['a path instead of an id', lpEncode(ChunkRequest.encode({ type: ChunkRequest.Type.CHUNK, fileId: new TextEncoder().encode('../../etc/passwd') as Uint8Array<ArrayBuffer>, index: 0 }))],
    ['an oversized frame', varint.encode(MAX_CHUNK_REQUEST_FRAME * 1024)],
    ['an overlong varint', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]
  ]
  for (const [what, bytes] of malformed) {
    it(`answers BAD_REQUEST to ${what}, closes, and keeps serving others`, async () => {
      const { stream, reader } = await open()
      stream.send(bytes)
      assert.equal((await response(reader)).res.status, ChunkResponse.Status.BAD_REQUEST)
      await expectClosed(reader)
      stream.abort(new Error('done'))
      await stillServes()
    })
  }

  it('answers CHANGED for a file modified on disk and asks the index to re-hash it', async () => {
    const path = join(dir, 'changing.bin')
    const changing = provider.source.add(await shareFile(await randomFile(path, 1000), 'changing.bin'))
    await truncate(path, 500)
    const { stream, reader } = await open()
    stream.send(req(ChunkRequest.Type.CHUNK, changing.fileId.bytes, 0))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.CHANGED)
    assert.ok(provider.source.revalidated.includes(changing))
    await writeFile(path, 'gone') // still changed: answered again, reported once
    stream.send(req(ChunkRequest.Type.MANIFEST, changing.fileId.bytes))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.CHANGED)
    assert.equal(provider.source.revalidated.filter(f => f === changing).length, 1)
    await stream.close()
  })

  it('survives a peer that resets mid-response', async () => {
    const big = provider.source.add(await shareFile(await randomFile(join(dir, 'big.bin'), 64 << 20), 'big.bin'))
    for (let n = 0; n < 3; n++) {
      const { stream, reader } = await open()
      for (let i = 0; i < 8; i++) stream.send(req(ChunkRequest.Type.CHUNK, big.fileId.bytes, i))
      await reader.readExact(100_000, AbortSignal.timeout(5_000))
      stream.abort(new Error('vanish'))
    }
    await stillServes()
  })

  it('resets a stream whose peer stops reading, and keeps serving others', async () => {
    const p = await makeProvider(cleanup, { sendTimeout: 300 })
    const big = p.source.add(await shareFile(await randomFile(join(dir, 'stall.bin'), 32 << 20), 'stall.bin'))
    const stream = await client.dialProtocol(multiaddr(p.info.addrs[0]), CHUNK_PROTOCOL)
    stream.pause() // no window updates: the server's sends back up
    for (let i = 0; i < 8; i++) stream.send(req(ChunkRequest.Type.CHUNK, big.fileId.bytes, i))
    const t0 = Date.now()
    while (p.server.activeStreams === 0 && Date.now() - t0 < 2_000) await new Promise(resolve => setTimeout(resolve, 20))
    while (p.server.activeStreams > 0 && Date.now() - t0 < 5_000) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(p.server.activeStreams, 0, 'the stalled stream was dropped')
    const { stream: s2, reader } = await (async () => {
      const st = await client.dialProtocol(multiaddr(p.info.addrs[0]), CHUNK_PROTOCOL)
      return { stream: st, reader: new StreamReader(st) }
    })()
    s2.send(req(ChunkRequest.Type.MANIFEST, big.fileId.bytes))
    assert.equal((await response(reader)).res.status, ChunkResponse.Status.OK)
    await s2.close()
    stream.abort(new Error('done'))
  })

  it('closes an idle stream after the idle timeout', async () => {
    const { reader } = await open()
    const t0 = Date.now()
    await expectClosed(reader)
    assert.ok(Date.now() - t0 >= 1_500)
  })

  it('limits chunk streams per connection', async () => {
    const p = await makeProvider(cleanup, { maxInboundStreams: 2 })
    const ma = multiaddr(p.info.addrs[0])
    const streams = [await client.dialProtocol(ma, CHUNK_PROTOCOL), await client.dialProtocol(ma, CHUNK_PROTOCOL)]
    // the third is refused: at negotiation, or as a reset on first use
    const third = await (async () => {
      const s = await client.dialProtocol(ma, CHUNK_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
      const r = new StreamReader(s)
      s.send(req(ChunkRequest.Type.MANIFEST, file.fileId.bytes))
      return await r.readLp(MAX_CHUNK_RESPONSE_HEADER, AbortSignal.timeout(5_000))
    })().catch((err: Error) => err)
    assert.ok(third instanceof Error, 'the third stream is refused')
    for (const s of streams) await s.close()
  })

  it('stop() unregisters the protocol', async () => {
    const p = await makeProvider(cleanup)
    await p.server.stop()
    await assert.rejects(client.dialProtocol(multiaddr(p.info.addrs[0]), CHUNK_PROTOCOL, { signal: AbortSignal.timeout(5_000) }), { name: 'UnsupportedProtocolError' })
  })
})
