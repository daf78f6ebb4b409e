import { mkdir, readFile, writeFile, rename, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey, PeerId } from '@libp2p/interface'

export const KEY_FILE = 'peer.key'

export class IdentityError extends Error {
  static readonly code = 'IdentityError'
  override name = 'IdentityError'
}

/**
 * Load the node's Ed25519 key from `<dataDir>/peer.key`, creating it (mode 0600, written to a
 * temporary name and renamed so a crash never leaves half a key) when missing.
 */
export async function loadOrCreateKey (dataDir: string): Promise<{ privateKey: PrivateKey, peerId: PeerId, created: boolean }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new IdentityError(`cannot read ${file}: ${err.message}`)
  }
  if (bytes != null) {
    let privateKey: PrivateKey
    try {
      privateKey = privateKeyFromProtobuf(bytes)
    } catch (err: any) {
      throw new IdentityError(`${file} is not a valid key: ${err.message}`)
    }
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: false }
  }
  const privateKey = await generateKeyPair('Ed25519')
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(privateKey), { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, file)
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: true }
}
