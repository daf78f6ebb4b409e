/**
 * The coordinator's entry point for deployments (see fsnode-coordinator.service): the same as
 * `fsnode coordinator`, with any extra arguments passed through. It runs the CLI's bundle, as
 * bin/fsnode.js does (see scripts/bundle.js), with Node's compile cache; the heap keeps V8's
 * defaults, as `fsnode coordinator` does (src/util/heap.ts).
 */
import { enableCompileCache } from '../src/util/compile-cache.js'

enableCompileCache()
process.argv.splice(2, 0, 'coordinator')
// a URL, not a literal specifier: the bundle is built after TypeScript has compiled this file
await import(new URL('../bundle/main.js', import.meta.url).href)
