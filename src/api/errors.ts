/** An address for the HTTP listener that is not HOST:PORT. */
export class InvalidListenAddressError extends Error {
  static readonly code = 'InvalidListenAddressError'
  override name = 'InvalidListenAddressError'
}
