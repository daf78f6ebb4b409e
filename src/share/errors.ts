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

/** A file changed (size, mtime or inode) while it was being hashed: the result is not used. */
export class FileChangedError extends Error {
  static readonly code = 'FileChangedError'
  override name = 'FileChangedError'
}

/** A path to hash or share is not a regular file. */
export class NotAFileError extends Error {
  static readonly code = 'NotAFileError'
  override name = 'NotAFileError'
}
