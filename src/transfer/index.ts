/**
 * File transfer over `/fileshare/chunk/1.0.0`: the chunk server (what we share, by file id)
 * and downloads (verified chunks from every provider at once, resumable).
 */
export { ChunkServer, chunkServer } from './server.js'
export type { ChunkServerComponents, ChunkServerInit } from './server.js'
export type { FileSource, ServedFile } from './source.js'
export { download } from './downloader.js'
export type { DownloadOptions, DownloadResult, DownloadProgress } from './downloader.js'
export { fetchManifest } from './fetcher.js'
export type { Dialer, Provider } from './fetcher.js'
export { sanitizeName } from './sanitize.js'
export { PartialFile } from './partial-file.js'
export { ChunkScheduler } from './scheduler.js'
export type { FailureReason, PeerStats, SchedulerInit } from './scheduler.js'
export * from './errors.js'
export { CHUNK_PROTOCOL } from './constants.js'
