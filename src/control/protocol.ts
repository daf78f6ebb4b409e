/**
 * The local control channel: newline-delimited JSON over a unix socket. The CLI sends one
 * request per connection; the daemon answers with zero or more `progress` lines and then one
 * `result` or `error` line. Closing the connection cancels the request (Ctrl-C in `fsnode get`).
 */
export const MAX_CONTROL_LINE = 1024 * 1024
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
  | { error: { name: string, message: string } }

export class ControlError extends Error {
  static readonly code = 'ControlError'
  override name = 'ControlError'
}

/** An error that happened in the daemon, carried back with its name. */
export class RemoteError extends Error {
  static readonly code = 'RemoteError'
  override name: string
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}
