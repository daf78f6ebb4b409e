/** A RATE that is not a byte count per second (`4MiB`, `500KiB`, `0`). */
export class InvalidRateError extends Error {
  static readonly code = 'InvalidRateError'
  override name = 'InvalidRateError'
}
