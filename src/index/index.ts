/**
 * The coordinator (index of who shares what) on `/fileshare/index/1.0.0`: the service and its
 * store, the client nodes and the CLI use, and the announcer that keeps coordinators current.
 */
export { coordinator, createCoordinator, CoordinatorService } from './service.js'
export type { Coordinator, CoordinatorComponents, CoordinatorInit, SweepResult } from './service.js'
export { IndexStore } from './store.js'
export type { IndexStoreInit, LookupGroup, ListedEntry, Page, ProviderInfo, StoreEntry } from './store.js'
export { IndexClient } from './client.js'
export type { AnnounceFile, AnnounceInput, Dialer, IndexClientInit, LookupQuery, PageOptions } from './client.js'
export type { IndexEntry, IndexLookupResult, IndexPage, IndexProvider } from './decode.js'
export { groupByFile } from './decode.js'
export type { IndexFile } from './decode.js'
export { Announcer } from './announcer.js'
export type { AnnouncerInit, AnnounceSource, AnnouncerNode, LinkState } from './announcer.js'
export { nameProblem, entryProblem } from './validate.js'
export * from './errors.js'
export * from './constants.js'
