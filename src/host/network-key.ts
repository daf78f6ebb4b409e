// The key file's text only: no libp2p here, so reading config stays light (the protector is
// in pnet.ts).

/** The first two lines of a libp2p (and IPFS) swarm key file. */
export const KEY_HEADER = '/key/swarm/psk/1.0.0/'
export const KEY_CODEC = '/base16/'
export const KEY_BYTES = 32
/** A key file is three short lines; anything much larger is not one. */
export const MAX_KEY_FILE_BYTES = 4096

export class NetworkKeyError extends Error {
  static readonly code = 'NetworkKeyError'
  override name = 'NetworkKeyError'
}

/** True when `value` is the text of a key rather than the path of a key file. */
export function isKeyText (value: string): boolean {
  return value.trimStart().startsWith(KEY_HEADER)
}

/**
 * Check a swarm key (the text of a key file) and return it in the exact form @libp2p/pnet
 * reads: pnet itself only checks the length of the third line, so a file with a wrong header
 * or codec would otherwise be taken as it is, and a mistyped one fail deep inside a dial.
 */
export function parseNetworkKey (text: string): Uint8Array {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map(l => l.trim())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const [header, codec, hex] = lines
  if (lines.length !== 3 || header !== KEY_HEADER || codec !== KEY_CODEC) {
    throw new NetworkKeyError(`not a network key (expected 3 lines: ${KEY_HEADER}, ${KEY_CODEC}, ${KEY_BYTES * 2} hex digits; fsnode network-key makes one)`)
  }
  if (!new RegExp(`^[0-9a-fA-F]{${KEY_BYTES * 2}}$`).test(hex)) {
    throw new NetworkKeyError(`not a network key: its third line must be ${KEY_BYTES * 2} hex digits`)
  }
  return new TextEncoder().encode(`${KEY_HEADER}\n${KEY_CODEC}\n${hex.toLowerCase()}`)
}
