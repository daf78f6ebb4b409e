/** yamux: the largest window a stream may grow to. Kept equal to the read buffer so a paused
 * stream can never overflow it (a reset), and small enough that memory per stream is bounded. */
export const MAX_STREAM_WINDOW = 4 * 1024 * 1024
/** Unread bytes a paused stream may hold; must be >= MAX_STREAM_WINDOW. */
export const MAX_READ_BUFFER = 8 * 1024 * 1024
/** Unsent bytes a stream may queue; writers wait for drain long before this. */
export const MAX_WRITE_BUFFER = 16 * 1024 * 1024
/** Inbound connections per second from one host before they are refused (default 5 is too few
 * for a LAN of nodes on one machine). */
export const INBOUND_CONNECTION_THRESHOLD = 100
export const MAX_CONNECTIONS = 300
export const DIAL_TIMEOUT = 10_000
