import { generateKey, preSharedKey } from '@libp2p/pnet'
import type { Libp2pOptions } from 'libp2p'
import { KEY_BYTES, KEY_CODEC, KEY_HEADER, parseNetworkKey } from './network-key.js'

/** A new random network key (pnet's generateKey: 32 random bytes), as the text of a key file. */
export function generateNetworkKey (): string {
  const bytes = new Uint8Array(KEY_HEADER.length + KEY_CODEC.length + 2 + KEY_BYTES * 2)
  generateKey(bytes)
  const text = new TextDecoder().decode(bytes)
  parseNetworkKey(text) // the format we read back is the one written
  return `${text}\n`
}

/** The connection protector for createHost: every connection is encrypted with the key first,
 * so a peer without it cannot even start the Noise handshake. */
export function networkProtector (key: Uint8Array | undefined): Libp2pOptions['connectionProtector'] {
  return key == null ? undefined : preSharedKey({ psk: key })
}
