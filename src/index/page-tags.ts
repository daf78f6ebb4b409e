// IndexResponse's fields and ListEntry's as their tag bytes (field number << 3 | wire type), for
// the page codec written by hand (encoded.ts, read-page.ts); src/wire's .proto defines them.
const VARINT = 0
const LENGTH_DELIMITED = 2

/** IndexResponse.status */
export const STATUS = 1 << 3 | VARINT
/** IndexResponse.entries */
export const ENTRIES = 4 << 3 | LENGTH_DELIMITED
/** IndexResponse.nextCursor */
export const NEXT_CURSOR = 5 << 3 | LENGTH_DELIMITED
/** IndexResponse.providers */
export const PROVIDERS = 8 << 3 | LENGTH_DELIMITED
/** ListEntry.name */
export const NAME = 1 << 3 | LENGTH_DELIMITED
/** ListEntry.fileId */
export const FILE_ID = 2 << 3 | LENGTH_DELIMITED
/** ListEntry.size */
export const SIZE = 3 << 3 | VARINT
/** ListEntry.mtime */
export const MTIME = 4 << 3 | VARINT
/** ListEntry.peerId */
export const PEER_ID = 5 << 3 | LENGTH_DELIMITED
