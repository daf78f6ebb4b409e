import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import type { KeyObject } from 'node:crypto'

const CIPHER = 'chacha20-poly1305'
const TAG_BYTES = 16
/** Below this the stock implementation (WebAssembly) is faster than a native cipher object. */
const NATIVE_MIN_BYTES = 1200

/** One KeyObject per session key: noise keeps the same key array for a whole connection
 * direction, and building a cipher from raw key bytes imports the key every time. */
const keys = new WeakMap<Uint8Array, KeyObject>()

function keyObject (k: Uint8Array): KeyObject {
  let key = keys.get(k)
  if (key == null) {
    key = createSecretKey(k)
    keys.set(k, key)
  }
  return key
}

/**
 * Noise's transport cipher (ChaCha20-Poly1305) with less work per 64 KiB frame than
 * @chainsafe/libp2p-noise's default, byte for byte the same on the wire:
 * - the session key is imported once (a cached KeyObject), not for every frame;
 * - decryption reads the frame as one contiguous buffer (`dst`, which noise has already made
 *   contiguous for its WebAssembly path) and yields one plaintext buffer, not one per piece
 *   of the socket reads the frame spanned;
 * The handshake (X25519, HKDF, SHA-256) and small frames use the default implementation.
 *
 * createHost uses it. With V8's incremental marking on it cut a bare stream's CPU by ~20% but
 * raised peak RSS by 25-55 MB; with fsnode's heap flags (src/util/heap.ts: no incremental
 * marking) the memory cost is gone: 1 GiB gets, pairs back to back, downloader CPU 8.3-9.2 ->
 * 7.0-8.6 s, peak RSS 172-217 -> 172-199 MB.
 */
export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NATIVE_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    const cipher = createCipheriv(CIPHER, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
    const parts: Buffer[] = []
    if (plaintext instanceof Uint8Array) parts.push(cipher.update(plaintext))
    else for (const buf of plaintext) parts.push(cipher.update(buf))
    parts.push(cipher.final(), cipher.getAuthTag())
    // one buffer per frame, as the default makes: each becomes one socket write, and a frame
    // in pieces (tag apart) cost the receiver more per byte than the copy saves here
    return Buffer.concat(parts, plaintext.byteLength + TAG_BYTES)
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    const length = ciphertext.byteLength - TAG_BYTES
    if (ciphertext.byteLength < NATIVE_MIN_BYTES || length < 0) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    const decipher = createDecipheriv(CIPHER, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: length })
    decipher.setAuthTag(ciphertext.subarray(length))
    // `dst` holds the frame's ciphertext without its tag (noise decrypts in place into it)
    const text = dst?.byteLength === length ? dst : ciphertext.subarray(0, length)
    const plain = decipher.update(text)
    const final = decipher.final() // throws when the tag does not match
    return final.byteLength > 0 ? Buffer.concat([plain, final]) : plain
  }
}
