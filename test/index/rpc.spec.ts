import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { decode as decodeVarint, encodingLength } from 'uint8-varint'
import { EncodedResponse } from '../../src/index/encoded.js'
import { dispatch as answer } from '../../src/index/rpc.js'
import { IndexStore } from '../../src/index/store.js'
import { MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { IndexRequest, IndexResponse } from '../../src/wire/index.js'
import { fileIdOf } from './helpers.js'
import type { HandlerContext } from '../../src/index/rpc.js'

async function peer (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

function request (r: Partial<IndexRequest>): IndexRequest {
  return IndexRequest.decode(IndexRequest.encode(r))
}

/** A page answer's message body, checked: its length prefix, and the bytes protons writes for the same message. */
function pageBody (res: EncodedResponse): Uint8Array {
  const length = decodeVarint(res.frame)
  const body = res.frame.subarray(encodingLength(length))
  assert.equal(body.byteLength, length, 'the length prefix is the body\'s length')
  assert.ok(Buffer.from(IndexResponse.encode(IndexResponse.decode(body))).equals(body), 'the bytes protons writes for this response')
  return body
}

/** dispatch(), with an answer written straight into its frame (LIST, SEARCH) read back as a client reads it. */
function dispatch (req: IndexRequest, ctx: HandlerContext): Partial<IndexResponse> {
  const res = answer(req, ctx)
  return res instanceof EncodedResponse ? IndexResponse.decode(pageBody(res)) : res
}

describe('index/rpc dispatch and handlers', () => {
  let store: IndexStore
  let ctx: HandlerContext

  beforeEach(async () => {
    store = new IndexStore(':memory:', { maxEntriesPerPeer: 10_000 })
    ctx = { store, peerId: await peer(), defaultPageSize: 3, maxPageSize: 5, log: logger('test') }
  })
  afterEach(() => { store.close() })

  async function announce (names: string[]): Promise<Partial<IndexResponse>> {
    const files = await Promise.all(names.map(async name => ({ name, fileId: (await fileIdOf(name)).bytes, size: 1, mtime: 1 })))
    return dispatch(request({ type: IndexRequest.Type.ANNOUNCE, replace: true, files }), ctx)
  }

  it('caps LIST pages: a default when none is asked, the maximum when more is', async () => {
    await announce(['a', 'b', 'c', 'd', 'e', 'f', 'g'])
    assert.equal(dispatch(request({ type: IndexRequest.Type.LIST }), ctx).entries?.length, 3)
    const capped = dispatch(request({ type: IndexRequest.Type.LIST, limit: 1_000_000 }), ctx)
    assert.equal(capped.entries?.length, 5)
    assert.notEqual(capped.nextCursor, '')
    const rest = dispatch(request({ type: IndexRequest.Type.LIST, limit: 5, cursor: capped.nextCursor }), ctx)
    assert.deepEqual(rest.entries?.map(e => e.name), ['f', 'g'])
    assert.equal(rest.nextCursor, '')
    assert.equal(rest.providers?.length, 1, 'each provider once per page')
  })

  it('writes LIST and SEARCH pages as protons would: unicode names, zero and 2^40 sizes, cursors, providers', async () => {
    const other = await peer()
    const files = [
      { name: 'photos/été 2024/crème brûlée.jpg', size: 0, mtime: 0 },
      { name: 'photos/日本/東京 photo.png', size: 2 ** 40, mtime: 1_700_000_000_123 },
      { name: 'photos/plain photo.txt', size: 127, mtime: 128 }
    ]
    const withIds = await Promise.all(files.map(async f => ({ ...f, fileId: (await fileIdOf(f.name)).bytes })))
    const addr = multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${ctx.peerId}`).bytes as Uint8Array<ArrayBuffer>
    answer(request({ type: IndexRequest.Type.ANNOUNCE, replace: true, files: withIds, addrs: [addr] }), ctx)
    answer(request({ type: IndexRequest.Type.ANNOUNCE, replace: true, files: withIds.slice(1) }), { ...ctx, peerId: other })
    const page = answer(request({ type: IndexRequest.Type.SEARCH, query: 'photo', limit: 4 }), ctx)
    assert.ok(page instanceof EncodedResponse)
    const res = IndexResponse.decode(pageBody(page))
    assert.equal(res.status, IndexResponse.Status.OK)
    assert.equal(res.entries.length, 4)
    assert.notEqual(res.nextCursor, '')
    assert.equal(res.providers.length, 2)
    const first = res.entries.find(e => e.name === files[1].name)
    assert.equal(first?.size, 2 ** 40)
    assert.equal(first?.mtime, 1_700_000_000_123)
    const last = dispatch(request({ type: IndexRequest.Type.SEARCH, query: 'photo', limit: 4, cursor: res.nextCursor }), ctx)
    assert.equal(last.entries?.length, 1)
    assert.equal(last.nextCursor, '')
    const listed = dispatch(request({ type: IndexRequest.Type.LIST, query: 'photos/été', limit: 5 }), ctx)
    assert.deepEqual(listed.entries?.map(e => [e.name, e.size, e.mtime]), [[files[0].name, 0, 0]])
    const empty = answer(request({ type: IndexRequest.Type.SEARCH, query: 'nothing' }), ctx)
    assert.ok(empty instanceof EncodedResponse)
    assert.deepEqual(IndexResponse.decode(pageBody(empty)).entries, [])
  })

  it('keeps every response under the frame limit and continues where it cut', async () => {
    ctx.maxPageSize = 5000
    const names = Array.from({ length: 1500 }, (_, i) => `${String(i).padStart(4, '0')}-${'n'.repeat(1000)}`)
    assert.equal((await announce(names)).status, IndexResponse.Status.OK)
    const seen: string[] = []
    let cursor = ''
    let pages = 0
    do {
      const res = dispatch(request({ type: IndexRequest.Type.LIST, limit: 5000, cursor }), ctx)
      assert.ok(IndexResponse.encode(res).byteLength < MAX_INDEX_FRAME)
      seen.push(...(res.entries ?? []).map(e => e.name))
      cursor = res.nextCursor ?? ''
      pages++
    } while (cursor !== '')
    assert.ok(pages >= 2)
    assert.deepEqual(seen, names)
  })

  it('refuses lookups without a key or with a bad file id, and unknown request types', () => {
    assert.equal(dispatch(request({ type: IndexRequest.Type.LOOKUP }), ctx).code, 'BAD_REQUEST')
    assert.equal(dispatch(request({ type: IndexRequest.Type.LOOKUP, fileId: new Uint8Array([1, 2]) }), ctx).code, 'BAD_REQUEST')
    assert.equal(dispatch(request({ type: IndexRequest.Type.UNKNOWN }), ctx).code, 'UNSUPPORTED')
  })

  it('accepts relay addresses that end in the peer itself, refuses ones that end in another', async () => {
    const relay = await peer()
    const other = await peer()
    const own = multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${relay}/p2p-circuit/p2p/${ctx.peerId}`).bytes
    const ok = dispatch(request({ type: IndexRequest.Type.ANNOUNCE, addrs: [own as Uint8Array<ArrayBuffer>] }), ctx)
    assert.equal(ok.status, IndexResponse.Status.OK)
    const forged = multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${other}`).bytes
    const bad = dispatch(request({ type: IndexRequest.Type.ANNOUNCE, addrs: [forged as Uint8Array<ArrayBuffer>] }), ctx)
    assert.equal(bad.code, 'BAD_REQUEST')
    const junk = dispatch(request({ type: IndexRequest.Type.ANNOUNCE, addrs: [new Uint8Array([0xff, 0xff]) as Uint8Array<ArrayBuffer>] }), ctx)
    assert.equal(junk.code, 'BAD_REQUEST')
  })

  it('answers an internal failure with INTERNAL and no details', () => {
    store.close()
    const res = dispatch(request({ type: IndexRequest.Type.LIST }), { ...ctx, log: Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => ctx.log }) as any })
    assert.equal(res.status, IndexResponse.Status.ERROR)
    assert.equal(res.code, 'INTERNAL')
    assert.equal(res.error, 'internal error')
  })
})
