export class ShareFolderError extends Error {
  static readonly code = 'ShareFolderError'
  override name = 'ShareFolderError'
}

/** A file changed (size, ctime, device or inode) while it was being hashed: the result is not used. */
export class FileChangedError extends Error {
  static readonly code = 'FileChangedError'
  override name = 'FileChangedError'
}

/** A path to hash or share is not a regular file. */
export class NotAFileError extends Error {
  static readonly code = 'NotAFileError'
  override name = 'NotAFileError'
}

/** A path no longer leads to the file the scan found (a folder along it was swapped, e.g. for a
 * symlink leading out of the share): it is not read, and its entry is dropped. */
export class OtherFileError extends Error {
  static readonly code = 'OtherFileError'
  override name = 'OtherFileError'
}
