/** Protocol ids are part of the contract (product.md). */
export const PROTOCOL_PREFIX = '/fileshare'
export const INDEX_PROTOCOL = `${PROTOCOL_PREFIX}/index/1.0.0`
export const CHUNK_PROTOCOL = `${PROTOCOL_PREFIX}/chunk/1.0.0`
export const KAD_PROTOCOL = `${PROTOCOL_PREFIX}/kad/1.0.0`

/** Largest index request or response frame (a snapshot is sent in batches below this). */
export const MAX_INDEX_FRAME = 1024 * 1024
/** Largest chunk-protocol request frame: a request is a few dozen bytes. */
export const MAX_CHUNK_REQUEST_FRAME = 1024
/** Largest chunk-protocol response header (the bytes after it are counted separately). */
export const MAX_CHUNK_RESPONSE_HEADER = 4 * 1024
/** Longest name a provider sends with a manifest (a file name, not a path); longer: none. */
export const MAX_SHARED_NAME_BYTES = 255
/** Largest manifest: 16 MiB chunks x 32-byte hashes x 32k chunks = a 512 GiB file. */
export const MAX_MANIFEST_BYTES = 1024 * 1024 + 64
/** How much unread data a StreamReader buffers before it pauses the stream. */
export const READ_HIGH_WATER = 1024 * 1024
