/** The node's HTTP listener (metrics now, the HTTP API later). Loopback only unless configured. */
export const DEFAULT_API_LISTEN = '127.0.0.1:7880'
/** A request must arrive whole within this long. */
export const API_REQUEST_TIMEOUT = 10_000
/** Headers past this size are refused (Node's own limit is 16 KiB). */
export const API_MAX_HEADER_BYTES = 8 * 1024
