import type { Multiaddr } from '@multiformats/multiaddr'
import type { Reachability } from '../node/api.js'
import { directlyReachable, isCircuit, isPublicAddr } from './reachability.js'
import type { RelayState } from './keeper.js'

/** What `fsnode status` says about how the node is reached. */
export function reachability (addrs: Multiaddr[], relays: RelayState[], relayOn: boolean): Reachability {
  const direct = addrs.filter(a => !isCircuit(a))
  const mode = directlyReachable(direct) ? 'public' : relays.some(r => r.reserved) ? 'relayed' : 'lan'
  return {
    mode,
    public: direct.filter(isPublicAddr).map(a => a.toString()),
    local: direct.filter(a => !isPublicAddr(a)).map(a => a.toString()),
    relays: relayOn ? relays : []
  }
}
