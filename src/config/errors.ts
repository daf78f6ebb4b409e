/** A bad config file, environment variable or flag: reported as one line, exit code 2. */
export class ConfigError extends Error {
  static readonly code = 'ConfigError'
  override name = 'ConfigError'
  readonly exitCode = 2
}

/** A command used wrongly (missing argument, unknown option): exit code 2. */
export class UsageError extends Error {
  static readonly code = 'UsageError'
  override name = 'UsageError'
  readonly exitCode = 2
}
