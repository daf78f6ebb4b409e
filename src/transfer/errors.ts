/** Errors of the transfer layer. Each has a fixed `name` callers and tests can rely on. */

/** A name from the network leaves nothing usable after sanitising. */
export class InvalidNameError extends Error {
  static readonly code = 'InvalidNameError'
  override name = 'InvalidNameError'
}

/** No provider answered with a manifest matching the file id. */
export class ManifestUnavailableError extends Error {
  static readonly code = 'ManifestUnavailableError'
  override name = 'ManifestUnavailableError'
}

/** Some chunks could not be fetched from any provider; the partial file is kept. */
export class ChunksUnavailableError extends Error {
  static readonly code = 'ChunksUnavailableError'
  override name = 'ChunksUnavailableError'
}

/** The disk is full; the partial file and its state are kept for a later resume. */
export class DiskFullError extends Error {
  static readonly code = 'DiskFullError'
  override name = 'DiskFullError'
}

/** The partial-file store cannot be used (a write or rename failed for another reason). */
export class PartialFileError extends Error {
  static readonly code = 'PartialFileError'
  override name = 'PartialFileError'
}

/** Something under the download folder is a link (or was swapped for one): fsnode never
 * writes through it. */
export class UnsafePathError extends Error {
  static readonly code = 'UnsafePathError'
  override name = 'UnsafePathError'
}

/** A provider answered a request with a status other than OK. */
export class ProviderResponseError extends Error {
  static readonly code = 'ProviderResponseError'
  override name = 'ProviderResponseError'
  constructor (message: string, readonly status: string) {
    super(message)
  }
}

/** A provider broke the protocol (wrong length, undecodable header). */
export class ProtocolViolationError extends Error {
  static readonly code = 'ProtocolViolationError'
  override name = 'ProtocolViolationError'
}

/** A chunk's bytes do not hash to the manifest's value. */
export class ChunkHashMismatchError extends Error {
  static readonly code = 'ChunkHashMismatchError'
  override name = 'ChunkHashMismatchError'
}

/** No byte arrived for too long. */
export class TransferTimeoutError extends Error {
  static readonly code = 'TransferTimeoutError'
  override name = 'TransferTimeoutError'
}

/** The download was aborted by its signal; the partial file is kept. */
export class DownloadAbortedError extends Error {
  static readonly code = 'DownloadAbortedError'
  override name = 'DownloadAbortedError'
}

/** A stream closed while we waited to write. */
export class StreamClosedError extends Error {
  static readonly code = 'StreamClosedError'
  override name = 'StreamClosedError'
}

/** A duplicate request (endgame) whose chunk another provider delivered first: its stream
 * is dropped rather than read to the end. */
export class ChunkSupersededError extends Error {
  static readonly code = 'ChunkSupersededError'
  override name = 'ChunkSupersededError'
}

/** A file this node shares no longer matches its manifest: it changed on disk since indexed. */
export class LocalSourceChangedError extends Error {
  static readonly code = 'LocalSourceChangedError'
  override name = 'LocalSourceChangedError'
}
