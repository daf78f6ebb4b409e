/** Errors of the wire layer. Each has a fixed `name` callers and tests can rely on. */

export class FrameTooLargeError extends Error {
  static readonly code = 'FrameTooLargeError'
  override name = 'FrameTooLargeError'
}

export class UnexpectedEOFError extends Error {
  static readonly code = 'UnexpectedEOFError'
  override name = 'UnexpectedEOFError'
}

export class InvalidMessageError extends Error {
  static readonly code = 'InvalidMessageError'
  override name = 'InvalidMessageError'
}

export class StreamResetError extends Error {
  static readonly code = 'StreamResetError'
  override name = 'StreamResetError'
}

export class InvalidManifestError extends Error {
  static readonly code = 'InvalidManifestError'
  override name = 'InvalidManifestError'
}

export class InvalidFileIdError extends Error {
  static readonly code = 'InvalidFileIdError'
  override name = 'InvalidFileIdError'
}
