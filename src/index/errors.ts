/** Errors of the index (coordinator, client, announcer). Each has a fixed `name`. */

/** Machine-readable codes carried in IndexResponse.code. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  QUOTA: 'QUOTA',
  TOO_LARGE: 'TOO_LARGE',
  UNSUPPORTED: 'UNSUPPORTED',
  FORBIDDEN: 'FORBIDDEN',
  INTERNAL: 'INTERNAL'
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

/** An error answered by the coordinator (client side) or to be answered (server side). */
export class IndexError extends Error {
  static readonly code: string = 'IndexError'
  override name = 'IndexError'
  readonly code: string

  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** A request the coordinator refuses as a whole (a bad name, file id, size, cursor...). */
export class BadRequestError extends IndexError {
  static override readonly code = 'BadRequestError'
  override name = 'BadRequestError'
  constructor (message: string) { super(ErrorCode.BAD_REQUEST, message) }
}

/** A peer would exceed its entry or address quota. */
export class QuotaExceededError extends IndexError {
  static override readonly code = 'QuotaExceededError'
  override name = 'QuotaExceededError'
  constructor (message: string) { super(ErrorCode.QUOTA, message) }
}

/** The peer may not announce here (the coordinator has an allow-list without it). */
export class ForbiddenError extends IndexError {
  static override readonly code = 'ForbiddenError'
  override name = 'ForbiddenError'
  constructor (message: string) { super(ErrorCode.FORBIDDEN, message) }
}

/** The coordinator's answer did not make sense (a client-side check). */
export class InvalidResponseError extends Error {
  static readonly code = 'InvalidResponseError'
  override name = 'InvalidResponseError'
}

/** A stream saw no request within the idle timeout. */
export class IdleTimeoutError extends Error {
  static readonly code = 'IdleTimeoutError'
  override name = 'IdleTimeoutError'
}

/** A response could not be sent within the response timeout (a peer that does not read). */
export class ResponseTimeoutError extends Error {
  static readonly code = 'ResponseTimeoutError'
  override name = 'ResponseTimeoutError'
}

/** The coordinator did not answer in time. */
export class IndexTimeoutError extends Error {
  static readonly code = 'IndexTimeoutError'
  override name = 'IndexTimeoutError'
}

/** The index database cannot be used (e.g. written by another schema version). */
export class IndexStoreError extends Error {
  static readonly code = 'IndexStoreError'
  override name = 'IndexStoreError'
}

/** The coordinator is not running (not started yet, or stopped). */
export class NotStartedError extends Error {
  static readonly code = 'NotStartedError'
  override name = 'NotStartedError'
}
