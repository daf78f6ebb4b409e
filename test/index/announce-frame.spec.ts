import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { decode as decodeVarint, encodingLength } from 'uint8-varint'
import { AnnounceFrameWriter } from '../../src/index/announce-frame.js'
import { IndexRequest } from '../../src/wire/index.js'
import { fileIdOf } from './helpers.js'
import type { AnnounceEntry } from '../../src/index/announce-frame.js'
import type { FileEntry } from '../../src/wire/index.js'

const BIG = 1024 * 1024

/** A frame's message, checked against its length prefix. */
function body (frame: Uint8Array): Uint8Array {
  const length = decodeVarint(frame)
  const out = frame.subarray(encodingLength(length))
  assert.equal(out.byteLength, length, 'the length prefix is the message\'s length')
  return out
}

/** What protons writes for an ANNOUNCE of these entries. */
function protons (files: AnnounceEntry[], replace = false, addrs: Uint8Array[] = []): Uint8Array {
  return IndexRequest.encode({ type: IndexRequest.Type.ANNOUNCE, replace, files: files as FileEntry[], addrs: addrs as Array<Uint8Array<ArrayBuffer>> })
}

/** One frame of `files` from the writer. */
function frameOf (files: AnnounceEntry[], replace = false, addrs: Uint8Array[] = [], budget = BIG): Uint8Array {
  const w = new AnnounceFrameWriter(budget)
  w.start(replace, addrs)
  for (const f of files) assert.equal(w.add(f), true)
  assert.equal(w.entries, files.length)
  return body(w.finish())
}

async function entries (): Promise<AnnounceEntry[]> {
  const id = async (s: string): Promise<Uint8Array> => (await fileIdOf(s)).bytes
  return [
    { name: 'a.txt', fileId: await id('a'), size: 0, mtime: 0 },
    { name: 'café/naïve résumé.txt', fileId: await id('b'), size: 1, mtime: 1_700_000_000_123 },
    { name: '日本語/ファイル.bin', fileId: await id('c'), size: 127, mtime: 1 },
    { name: '😀 emoji/👨‍👩‍👧.png', fileId: await id('d'), size: 128, mtime: 127 },
    { name: 'x'.repeat(300), fileId: await id('e'), size: 2 ** 40, mtime: 2 ** 40 },
    { name: 'max', fileId: await id('f'), size: Number.MAX_SAFE_INTEGER, mtime: 128 },
    // fields protons leaves out when empty (the coordinator refuses such entries; the bytes still match)
    { name: '', fileId: new Uint8Array(0), size: 5, mtime: 0 }
  ]
}

describe('index/announce-frame: ANNOUNCE written straight into its frame', () => {
  const addrs = [multiaddr('/ip4/127.0.0.1/tcp/4001').bytes, multiaddr('/ip6/::1/udp/4001/quic-v1').bytes]

  it('writes the bytes protons writes: unicode names, sizes 0 to 2^53-1, mtimes, replace, addresses', async () => {
    const files = await entries()
    for (const replace of [false, true]) {
      for (const a of [[], addrs]) {
        assert.ok(Buffer.from(frameOf(files, replace, a)).equals(protons(files, replace, a)), `replace ${replace}, ${a.length} addresses`)
        assert.ok(Buffer.from(frameOf(files.slice(1, 2), replace, a)).equals(protons(files.slice(1, 2), replace, a)), 'one entry')
        assert.ok(Buffer.from(frameOf([], replace, a)).equals(protons([], replace, a)), 'no entries (a keepalive)')
      }
    }
    const decoded = IndexRequest.decode(frameOf(files, true, addrs))
    assert.deepEqual(decoded.files.map(f => [f.name, f.size, f.mtime]), files.map(f => [f.name, f.size, f.mtime]))
  })

  it('writes numbers that are not uint64 integers and lone surrogates as protons does', async () => {
    const [ok] = await entries()
    const odd = [{ ...ok, size: -1 }, { ...ok, mtime: -5 }, { ...ok, size: 1.5 }, { ...ok, name: 'lone \ud800 surrogate\udc00' }]
    assert.ok(Buffer.from(frameOf([ok, ...odd], true)).equals(protons([ok, ...odd], true)))
  })

  it('fills a frame up to its budget exactly, then starts the next', async () => {
    const files = (await entries()).slice(0, 4)
    const fit = protons(files.slice(0, 3), true, addrs).byteLength
    for (const [budget, n] of [[fit, 3], [fit - 1, 2]]) {
      const w = new AnnounceFrameWriter(budget)
      w.start(true, addrs)
      const added = files.map(f => w.add(f))
      assert.deepEqual(added, files.map((_, i) => i < n), `budget ${budget}: ${n} entries fit`)
      const frame = body(w.finish())
      assert.ok(frame.byteLength <= budget)
      assert.ok(Buffer.from(frame).equals(protons(files.slice(0, n), true, addrs)), `budget ${budget}`)
    }
  })

  it('splits a long announce into frames under the budget, each as protons writes it, one object reused', async () => {
    const base = await entries()
    const budget = 2_000
    const w = new AnnounceFrameWriter(budget)
    const frames: Uint8Array[] = []
    const sent: Array<[string, number, number]> = []
    const entry: AnnounceEntry = { name: '', fileId: new Uint8Array(0), size: 0, mtime: 0 }
    w.start(true, addrs)
    for (let i = 0; i < 500; i++) {
      const from = base[i % 5]
      Object.assign(entry, { name: `${i}/${from.name}`, fileId: from.fileId, size: from.size + i, mtime: from.mtime })
      sent.push([entry.name, entry.size, entry.mtime])
      if (!w.add(entry)) {
        frames.push(body(w.finish()))
        w.start(false, [])
        assert.equal(w.add(entry), true, 'an entry fits in an empty frame')
      }
    }
    frames.push(body(w.finish()))
    assert.ok(frames.length > 10, `${frames.length} frames`)
    const got: Array<[string, number, number]> = []
    frames.forEach((frame, i) => {
      assert.ok(frame.byteLength <= budget, `frame ${i}: ${frame.byteLength} bytes`)
      const req = IndexRequest.decode(frame)
      assert.ok(Buffer.from(IndexRequest.encode(req)).equals(frame), `frame ${i}: the bytes protons writes`)
      assert.equal(req.replace, i === 0, 'replace in the first frame only')
      assert.equal(req.addrs.length, i === 0 ? 2 : 0, 'addresses in the first frame only')
      if (i < frames.length - 1) assert.ok(frame.byteLength + 400 > budget, `frame ${i} is full (${frame.byteLength} bytes)`)
      for (const f of req.files) got.push([f.name, f.size, f.mtime])
    })
    assert.deepEqual(got, sent)
  })

  it('throws when one entry does not fit in an empty frame', async () => {
    const [ok] = await entries()
    const w = new AnnounceFrameWriter(100)
    w.start(false, [])
    assert.throws(() => w.add({ ...ok, name: 'n'.repeat(100) }), { name: 'AnnounceEntryError' })
  })
})
