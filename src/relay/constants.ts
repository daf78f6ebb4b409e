/** Defaults of the coordinator's circuit relay and of a node's use of it (`coordinator.relay.*`,
 * `node.relay`, `node.upnp`). Chosen so one small server can carry a lab's NATed nodes without
 * a single peer taking it over; all are overridable in config.json. */

/** Nodes that may hold a reservation on one coordinator at once (libp2p's default is 15). */
export const RELAY_MAX_RESERVATIONS = 128
/** A reservation lives this long unless renewed; the node renews it 5 minutes before expiry,
 * and again whenever its connection to the coordinator is new (a coordinator restart). */
export const RELAY_RESERVATION_TTL_SECONDS = 60 * 60
/** Relayed bytes per second one peer may send through the coordinator (0: no limit). */
export const RELAY_PEER_BYTES_PER_SECOND = 16 * 1024 * 1024
/** Relayed bytes per second over all peers (0: no limit). */
export const RELAY_TOTAL_BYTES_PER_SECOND = 64 * 1024 * 1024
/** Relayed circuits the coordinator opens at once (hop streams in, stop streams out). */
export const RELAY_MAX_CIRCUITS = 256

/** Unsent bytes the relay holds for one direction of a circuit before it stops reading the
 * other side (which then stops granting window, so the sender waits). */
export const RELAY_BACKLOG = 4 * 1024 * 1024

/** How often a node checks that it holds a reservation on each connected coordinator. */
export const RESERVE_CHECK_INTERVAL = 5_000
/** After a refused or failed reservation, wait this long before trying again (doubling). */
export const RESERVE_RETRY_MIN = 5_000
export const RESERVE_RETRY_MAX = 5 * 60_000

/** A download dials a provider's direct addresses for at most this long before it tries
 * its relayed ones (a NATed host's private address can swallow SYNs until the dial timeout). */
export const DIRECT_DIAL_TIMEOUT = 4_000

export interface RelayLimits {
  maxReservations: number
  reservationTtlSeconds: number
  peerBytesPerSecond: number
  totalBytesPerSecond: number
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: RELAY_MAX_RESERVATIONS,
  reservationTtlSeconds: RELAY_RESERVATION_TTL_SECONDS,
  peerBytesPerSecond: RELAY_PEER_BYTES_PER_SECOND,
  totalBytesPerSecond: RELAY_TOTAL_BYTES_PER_SECOND
}
