import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../src/host/noise-crypto.js'
import type { Libp2p, Stream, StreamMessageEvent } from '@libp2p/interface'

const PROTOCOL = '/fsnode-test/noise/1.0.0'
const FRAME = 65535 - 16
/** uint8arraylist 3 here, 2 inside noise: the same at run time (a shared symbol), not to tsc. */
type Ciphertext = Parameters<typeof noiseCrypto.chaCha20Poly1305Decrypt>[0]

function bytesOf (x: Uint8Array | { subarray: () => Uint8Array }): Buffer {
  return Buffer.from(x instanceof Uint8Array ? x : x.subarray())
}

/** Everything the stream delivers until the remote closes its side. */
async function readAll (stream: Stream): Promise<Buffer> {
  const parts: Buffer[] = []
  return await new Promise((resolve, reject) => {
    stream.addEventListener('message', (evt: StreamMessageEvent) => { parts.push(bytesOf(evt.data)) })
    stream.addEventListener('remoteCloseWrite', () => { resolve(Buffer.concat(parts)) })
    stream.addEventListener('close', evt => { if (evt.error != null) reject(evt.error) })
  })
}

describe('host/noise-crypto', () => {
  const k = randomBytes(32)
  const nonce = randomBytes(12)
  const ad = randomBytes(32)

  it('encrypts and decrypts exactly as noise\'s default implementation', () => {
    for (const size of [0, 100, 1199, 1200, 5000, FRAME]) {
      const plain = randomBytes(size)
      const ours = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k))
      const stock = bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k))
      assert.deepEqual(ours, stock, `ciphertext of ${size} bytes`)
      // as noise hands a frame over: a list split where the socket reads split it, plus dst
      const list = new Uint8ArrayList(ours.subarray(0, size >> 1), ours.subarray(size >> 1))
      const dst = list.subarray(0, ours.byteLength - 16)
      assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(list as unknown as Ciphertext, nonce, ad, k, dst)), plain, `plaintext of ${size} bytes`)
      assert.deepEqual(bytesOf(noiseCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, k)), plain, `plaintext of ${size} bytes without dst`)
    }
  })

  it('refuses a frame whose ciphertext, tag or associated data was changed', () => {
    const cipher = bytesOf(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(FRAME), nonce, ad, k))
    for (const at of [0, 1000, cipher.byteLength - 1]) {
      const bad = Buffer.from(cipher)
      bad[at] ^= 1
      assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(bad, nonce, ad, k, bad.subarray(0, bad.byteLength - 16)), Error, `byte ${at} flipped`)
    }
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(cipher, nonce, randomBytes(32), k))
  })

  it('talks to a stock libp2p stack over TCP both ways', async function () {
    this.timeout(30_000)
    const ours = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise({ crypto: noiseCrypto })], streamMuxers: [yamux()] })
    let stock: Libp2p | undefined
    try {
      stock = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
      const payload = randomBytes(3 * 1024 * 1024 + 7) // many full frames and a short one
      const echoed: Promise<Buffer> = new Promise((resolve, reject) => {
        ours.handle(PROTOCOL, async stream => {
          try {
            const got = await readAll(stream)
            stream.send(createHash('sha256').update(got).digest())
            stream.send(got)
            await stream.close()
            resolve(got)
          } catch (err) { reject(err instanceof Error ? err : new Error(String(err))) }
        }).catch((err: Error) => { reject(err) })
      })
      const stream = await stock.dialProtocol(ours.getMultiaddrs()[0], PROTOCOL)
      const back = readAll(stream)
      stream.send(payload)
      await stream.close()
      assert.deepEqual(await echoed, payload)
      const reply = await back
      assert.deepEqual(reply.subarray(0, 32), createHash('sha256').update(payload).digest())
      assert.deepEqual(reply.subarray(32), payload)
    } finally {
      await stock?.stop()
      await ours.stop()
    }
  })
})
