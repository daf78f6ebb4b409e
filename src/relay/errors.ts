/** The coordinator refused this node a relay slot (full, not allowed, relay off). */
export class RelayReservationError extends Error {
  static readonly code = 'RelayReservationError'
  override name = 'RelayReservationError'
}
