/** Errors a user sees from `ls`, `search` and `get`; each maps to exit code 1. */

export class NoCoordinatorError extends Error {
  static readonly code = 'NoCoordinatorError'
  override name = 'NoCoordinatorError'
}

export class UnknownFileError extends Error {
  static readonly code = 'UnknownFileError'
  override name = 'UnknownFileError'
}

export class AmbiguousNameError extends Error {
  static readonly code = 'AmbiguousNameError'
  override name = 'AmbiguousNameError'
}

export class NoProvidersError extends Error {
  static readonly code = 'NoProvidersError'
  override name = 'NoProvidersError'
}
export class ApiUnavailableError extends Error {
  static readonly code = 'ApiUnavailableError'
  override name = 'ApiUnavailableError'
}

export class ApiListenError extends Error {
  static readonly code = 'ApiListenError'
  override name = 'ApiListenError'
}

export class NotSharedError extends Error {
  static readonly code = 'NotSharedError'
  override name = 'NotSharedError'
}
