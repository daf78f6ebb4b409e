import { CODE_P2P } from '@multiformats/multiaddr'
import { GATER_METHODS } from './inbound-guard.js'
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'

/**
 * The `/p2p/<peer id>` of an address is what authenticates the machine behind it. Noise checks
 * it only for ids that embed their public key (12D3KooW...): a hash-style id (Qm...) would be
 * taken on trust, and any machine at the address accepted. This gate refuses an outbound
 * connection whose authenticated peer is not the one its address names, whatever the id's kind.
 */
export function expectedPeerGate (inner: ConnectionGater = {}): ConnectionGater {
  // the caller's methods, bound: a gater may be a class instance, whose methods a spread drops
  const delegated: Record<string, unknown> = {}
  for (const key of GATER_METHODS) {
    const fn = inner[key] as ((...args: any[]) => unknown) | undefined
    if (typeof fn === 'function') delegated[key] = fn.bind(inner)
  }
  return {
    ...delegated,
    denyOutboundEncryptedConnection: async (peerId: PeerId, maConn: MultiaddrConnection) => {
      const expected = maConn.remoteAddr.getComponents().findLast(c => c.code === CODE_P2P)?.value
      if (expected != null && expected !== peerId.toString()) {
        throw new WrongPeerError(wrongPeerText(maConn.remoteAddr.toString(), peerId.toString(), expected))
      }
      return await inner.denyOutboundEncryptedConnection?.(peerId, maConn) === true
    }
  }
}

/** The machine at an address authenticated as another peer than its /p2p/ part names. */
export class WrongPeerError extends Error {
  static readonly code = 'WrongPeerError'
  override name = 'WrongPeerError'
}

// what @chainsafe/libp2p-noise says when the remote's key is not the one the address names
const NOISE_MISMATCH = /Payload identity key (\S+) does not match expected remote identity key (\S+)/

/** A one-line reason for a failed dial: a wrong peer id said as such, anything else as it is. */
export function dialFailure (err: any, addr?: string): string {
  if (err?.name === 'WrongPeerError') return err.message
  const m = NOISE_MISMATCH.exec(String(err?.message))
  if (m != null) return wrongPeerText(addr, m[1], m[2])
  return String(err?.message ?? err)
}

export function isWrongPeer (err: any): boolean {
  return err?.name === 'WrongPeerError' || NOISE_MISMATCH.test(String(err?.message))
}

function wrongPeerText (addr: string | undefined, actual: string, expected: string): string {
  const where = addr == null ? 'the machine at that address' : `the machine at ${addr.replace(/\/p2p\/[^/]+$/, '')}`
  return `wrong peer id: ${where} is ${actual}, not ${expected}; check the /p2p/ part of the address`
}
