export class InvalidManifestError extends Error {
  static readonly code = 'InvalidManifestError'
  override name = 'InvalidManifestError'
}

export class InvalidFileIdError extends Error {
  static readonly code = 'InvalidFileIdError'
  override name = 'InvalidFileIdError'
}

export class ShareFolderError extends Error {
  static readonly code = 'ShareFolderError'
  override name = 'ShareFolderError'
}
