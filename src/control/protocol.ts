/**
 * The local control channel: newline-delimited JSON over a unix socket. The CLI sends one
 * request per connection; the daemon answers with zero or more `progress` lines and then one
 * `result` or `error` line. Closing the connection cancels the request (Ctrl-C in `fsnode get`).
 */
/** A request line: what anyone who can reach the socket sends the node. */
export const MAX_CONTROL_LINE = 1024 * 1024
/** A reply line, read by the CLI from its own node (the run folder is checked to be ours): a
 * listing of the whole network (`fsnode ls --flat`, ~250 bytes a file) passed 1 MiB at ~4,000
 * files; this is ~250,000. The node builds the reply in memory either way. */
export const MAX_CONTROL_REPLY = 64 * 1024 * 1024
export const CONTROL_CONNECT_TIMEOUT = 2_000
/** A connection must send its request line within this long (the CLI sends it at once). */
export const CONTROL_IDLE_TIMEOUT = 10_000

export interface ControlRequest {
  method: string
  params?: Record<string, unknown>
}

export type ControlReply =
  | { progress: unknown }
  | { result: unknown }
  | { error: WireError }

/** An error as it travels: the class name is its code; exitCode as the CLI would exit on it. */
export interface WireError {
  name: string
  message: string
  exitCode?: number
}

export function toWireError (err: any): WireError {
  const e: WireError = { name: typeof err?.name === 'string' ? err.name : 'Error', message: String(err?.message ?? err) }
  if (typeof err?.exitCode === 'number') e.exitCode = err.exitCode
  return e
}

export class ControlError extends Error {
  static readonly code = 'ControlError'
  override name = 'ControlError'
}

/** An error that happened in the daemon, carried back with its name (its code) and exit code,
 * so the CLI reports and exits on it as if it had happened in-process. */
export class RemoteError extends Error {
  static readonly code = 'RemoteError'
  override name: string
  readonly code: string
  readonly exitCode?: number
  constructor (name: string, message: string, exitCode?: number) {
    super(message)
    this.name = name
    this.code = name
    if (typeof exitCode === 'number' && Number.isInteger(exitCode) && exitCode > 0 && exitCode < 126) this.exitCode = exitCode
  }
}
