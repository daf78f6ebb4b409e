/**
 * The coordinator's entry point for deployments (see fsnode-coordinator.service): the same as
 * `fsnode coordinator`, with any extra arguments passed through, started the way bin/fsnode.js
 * starts every command (Node's compile cache, the CLI's bundle, V8's default heap for a
 * coordinator).
 */
process.argv.splice(2, 0, 'coordinator')
// a URL, not a literal specifier: TypeScript does not type the plain JavaScript of bin/
await import(new URL('../../bin/fsnode.js', import.meta.url).href)
