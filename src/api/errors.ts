/** An address for the HTTP listener that is not HOST:PORT. */
export class InvalidListenAddressError extends Error {
  static readonly code = 'InvalidListenAddressError'
  override name = 'InvalidListenAddressError'
}

/** An error the HTTP API answers with its own status. */
export class HttpError extends Error {
  constructor (readonly status: number, name: string, message: string) {
    super(message)
    this.name = name
  }
}

export class UnauthorizedError extends HttpError {
  static readonly code = 'UnauthorizedError'
  constructor (message: string) { super(401, 'UnauthorizedError', message) }
}

export class ForbiddenError extends HttpError {
  static readonly code = 'ForbiddenError'
  constructor (message: string) { super(403, 'ForbiddenError', message) }
}

export class NotFoundError extends HttpError {
  static readonly code = 'NotFoundError'
  constructor (message: string) { super(404, 'NotFoundError', message) }
}

export class MethodNotAllowedError extends HttpError {
  static readonly code = 'MethodNotAllowedError'
  constructor (message: string, readonly allow: string[]) { super(405, 'MethodNotAllowedError', message) }
}

export class BodyTooLargeError extends HttpError {
  static readonly code = 'BodyTooLargeError'
  constructor (message: string) { super(413, 'BodyTooLargeError', message) }
}

export class MalformedJsonError extends HttpError {
  static readonly code = 'MalformedJsonError'
  constructor (message: string) { super(400, 'MalformedJsonError', message) }
}

export class TooManyClientsError extends HttpError {
  static readonly code = 'TooManyClientsError'
  constructor (message: string) { super(503, 'TooManyClientsError', message) }
}

export class ApiTimeoutError extends HttpError {
  static readonly code = 'ApiTimeoutError'
  constructor (message: string) { super(504, 'ApiTimeoutError', message) }
}

/** The token file could not be made safe. */
export class ApiTokenError extends Error {
  static readonly code = 'ApiTokenError'
  override name = 'ApiTokenError'
}

/** Node errors by class name → HTTP status (the rest: 500). */
const STATUS: Record<string, number> = {
  BadParamsError: 400,
  InvalidFileIdError: 400,
  InvalidRateError: 400,
  ConfigError: 400,
  UsageError: 400,
  UnknownFileError: 404,
  UnknownDownloadError: 404,
  NotSharedError: 404,
  NoProvidersError: 404,
  AmbiguousNameError: 409,
  NoCoordinatorError: 409,
  DownloadNotRunningError: 409,
  TooManyDownloadsError: 409,
  ShareFolderError: 400,
  OtherFileError: 409,
  NotAFileError: 400,
  UnsupportedMethodError: 405
}

export function statusOf (err: any): number {
  if (err instanceof HttpError) return err.status
  return STATUS[err?.name] ?? 500
}
