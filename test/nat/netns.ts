/** Moved to the shared test kit (kit/), used by test/ and bench/ alike. */
export * from '../../kit/nat/netns.js'
