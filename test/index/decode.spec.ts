import { strict as assert } from 'node:assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { parsePage } from '../../src/index/decode.js'
import { readPage } from '../../src/index/read-page.js'
import { InvalidResponseError } from '../../src/index/errors.js'
import { IndexResponse } from '../../src/wire/index.js'
import { fileIdOf } from './helpers.js'

async function peer (): Promise<{ id: string, bytes: Uint8Array<ArrayBuffer> }> {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return { id: id.toString(), bytes: id.toMultihash().bytes as Uint8Array<ArrayBuffer> }
}

function response (entries: IndexResponse['entries'], providers: IndexResponse['providers']): IndexResponse {
  // through the wire format, as a client gets it: the entries' bytes are views into one buffer
  return IndexResponse.decode(IndexResponse.encode({ status: IndexResponse.Status.OK, entries, providers, nextCursor: '' }))
}

describe('index/decode', () => {
  it('reads a page: every file id as CID.decode reads it, every peer id once per provider', async () => {
    const [a, b] = [await peer(), await peer()]
    const ids = await Promise.all(['x', 'y', 'z'].map(async s => await fileIdOf(s)))
    const page = parsePage(response(
      ids.map((id, i) => ({ name: `f${i}`, fileId: id.bytes as Uint8Array<ArrayBuffer>, size: i, mtime: 7, peerId: i === 1 ? b.bytes : a.bytes })),
      [{ peerId: a.bytes, addrs: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes as Uint8Array<ArrayBuffer>], online: true }, { peerId: b.bytes, addrs: [], online: false }]
    ))
    assert.deepEqual(page.entries.map(e => e.peerId), [a.id, b.id, a.id])
    for (const [i, e] of page.entries.entries()) {
      const expected = CID.decode(ids[i].bytes)
      assert.ok(e.fileId.equals(expected), `entry ${i}`)
      assert.equal(e.fileId.toString(), ids[i].toString())
      assert.deepEqual(e.fileId.multihash.bytes, expected.multihash.bytes)
      assert.deepEqual(e.fileId.multihash.digest, expected.multihash.digest)
      assert.equal(e.fileId.multihash.code, expected.multihash.code)
    }
    assert.deepEqual([...page.providers.keys()], [a.id, b.id])
    assert.equal(page.providers.get(a.id)?.addrs[0].toString(), '/ip4/127.0.0.1/tcp/1')
  })

  it('refuses a file id that is not a CIDv1 raw sha2-256, of the right length or not', async () => {
    const a = await peer()
    const good = (await fileIdOf('x')).bytes
    const badCodec = Uint8Array.from(good)
    badCodec[1] = 0x70 // dag-pb
    for (const fileId of [badCodec, good.subarray(0, 20), new Uint8Array(36)]) {
      assert.throws(() => parsePage(response([{ name: 'f', fileId: fileId as Uint8Array<ArrayBuffer>, size: 1, mtime: 1, peerId: a.bytes }], [])),
        (err: any) => err instanceof InvalidResponseError && /bad file id/.test(err.message))
    }
  })

  it('keeps a provider parsed once across pages, frozen, and a new one when its addresses or state change', async () => {
    const a = await peer()
    const id = await fileIdOf('x')
    const addr = multiaddr('/ip4/127.0.0.1/tcp/2').bytes as Uint8Array<ArrayBuffer>
    const page = (provider: IndexResponse['providers'][number]): ReturnType<typeof parsePage> =>
      parsePage(response([{ name: 'f', fileId: id.bytes as Uint8Array<ArrayBuffer>, size: 1, mtime: 1, peerId: a.bytes }], [provider]))
    const first = page({ peerId: a.bytes, addrs: [addr], online: true }).providers.get(a.id)
    const again = page({ peerId: a.bytes, addrs: [addr], online: true }).providers.get(a.id)
    assert.equal(again, first, 'the same object, not parsed again')
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first?.addrs), 'shared between callers, so read-only')
    const offline = page({ peerId: a.bytes, addrs: [addr], online: false }).providers.get(a.id)
    assert.equal(offline?.online, false)
    const moved = page({ peerId: a.bytes, addrs: [multiaddr('/ip4/127.0.0.1/tcp/3').bytes as Uint8Array<ArrayBuffer>], online: true }).providers.get(a.id)
    assert.equal(moved?.addrs[0].toString(), '/ip4/127.0.0.1/tcp/3')
    assert.equal(moved?.peerId, a.id)
    // whatever a coordinator sends, the memo keeps only small providers
    const many = Array.from({ length: 600 }, (_, i) => multiaddr(`/ip4/127.0.0.1/tcp/${1000 + i}`).bytes as Uint8Array<ArrayBuffer>)
    const big = page({ peerId: a.bytes, addrs: many, online: true }).providers.get(a.id)
    assert.equal(big?.addrs.length, 600)
    assert.notEqual(page({ peerId: a.bytes, addrs: many, online: true }).providers.get(a.id), big, 'a big provider is parsed again, not kept')
  })

  it('reads a page straight from its bytes as the generated decoder does; hands anything else back; refuses cut bytes', async () => {
    const [a, b] = [await peer(), await peer()]
    const ids = await Promise.all(['x', 'y', 'z'].map(async s => await fileIdOf(s)))
    const names = ['été/crème brûlée.jpg', '日本/東京.png', 'plain.txt']
    const bytes = IndexResponse.encode({
      status: IndexResponse.Status.OK,
      entries: ids.map((id, i) => ({ name: names[i], fileId: id.bytes as Uint8Array<ArrayBuffer>, size: [0, 2 ** 40, 127][i], mtime: [0, 1_700_000_000_123, 128][i], peerId: i === 1 ? b.bytes : a.bytes })),
      providers: [{ peerId: a.bytes, addrs: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes as Uint8Array<ArrayBuffer>], online: true }, { peerId: b.bytes, addrs: [], online: false }],
      nextCursor: 'next'
    })
    const fast = readPage(bytes)
    const slow = parsePage(IndexResponse.decode(bytes))
    assert.ok(fast != null)
    const plain = (p: typeof slow): unknown => ({
      entries: p.entries.map(e => [e.name, e.fileId.toString(), e.size, e.mtime, e.peerId]),
      providers: [...p.providers.values()].map(v => [v.peerId, v.addrs.map(x => x.toString()), v.online]),
      nextCursor: p.nextCursor
    })
    assert.deepEqual(plain(fast), plain(slow))
    assert.deepEqual(fast.entries.map(e => e.size), [0, 2 ** 40, 127])
    assert.equal(readPage(IndexResponse.encode({ status: IndexResponse.Status.ERROR, code: 'BAD_REQUEST', error: 'no' })), undefined, 'an ERROR goes to the generated decoder')
    assert.equal(readPage(IndexResponse.encode({ status: IndexResponse.Status.OK, accepted: 3 })), undefined, 'so does any other answer')
    assert.deepEqual(readPage(new Uint8Array(0))?.entries, [], 'an empty page is all defaults')
    for (let cut = 1; cut < bytes.byteLength; cut++) {
      try {
        readPage(bytes.subarray(0, cut))
      } catch (err) {
        assert.ok(err instanceof InvalidResponseError, `cut at ${cut}: ${String(err)}`)
      }
    }
  })
})
