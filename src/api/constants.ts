/** The node's HTTP listener (the HTTP API, /metrics, the UI). Loopback only unless configured. */
export const DEFAULT_API_LISTEN = '127.0.0.1:7880'
/** A request must arrive whole within this long. */
export const API_REQUEST_TIMEOUT = 10_000
/** Headers past this size are refused (Node's own limit is 16 KiB). */
export const API_MAX_HEADER_BYTES = 8 * 1024
/** The API's routes live under this prefix. */
export const API_PREFIX = '/api/v1'
/** Request bodies are small JSON objects. */
export const API_MAX_BODY_BYTES = 64 * 1024
/** A call (ls, search, share...) is cancelled and answered with an error after this long. */
export const API_CALL_TIMEOUT = 60_000
/** The token file in the data dir. */
export const API_TOKEN_FILE = 'api-token'
/** Random bytes of the token, the session cookie and a login code. */
export const API_SECRET_BYTES = 32
/** A login code from `fsnode ui` works once, within this long. */
export const LOGIN_CODE_TTL_MS = 60_000
/** Login codes not yet used; a new one past this drops the oldest. */
export const MAX_LOGIN_CODES = 16
/** Browser sessions remembered (in memory: a restart logs them out); the oldest goes first. */
export const MAX_SESSIONS = 64
/** A browser session lasts this long. */
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000
export const SESSION_COOKIE = 'fsnode_session'
/** Open /events streams; more are refused. */
export const MAX_EVENT_CLIENTS = 32
/** Bytes an event stream may have queued unsent: a client that does not read is dropped there. */
export const MAX_EVENT_BUFFER_BYTES = 256 * 1024
/** A comment line on each event stream this often, so proxies do not close it. */
export const EVENT_PING_MS = 15_000
