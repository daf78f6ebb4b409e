// Bundles the compiled CLI (dist/src/cli/main.js) and everything it imports into dist/bundle/,
// which bin/fsnode.js runs. Why: a node loads ~1,000 modules otherwise, and V8 keeps each one's
// source, module record and scope alive; one bundle (whitespace and syntax minified, names kept
// so stack traces and error classes still read) costs an idle node ~15 MB less RSS and skips
// resolving every import at start. What the code imports on demand (each command's module, the
// node, UPnP) stays a chunk of its own, loaded only when used; what it loads with require() at
// run time (cli-progress, node:http) stays outside. The library entry (package.json `exports`)
// and the tests use dist/src as compiled, module by module.
import { build } from 'esbuild'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = root + 'dist/bundle'

await rm(outdir, { recursive: true, force: true })
await build({
  entryPoints: { main: root + 'dist/src/cli/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // CommonJS dependencies (prom-client, debug, ...) call require() for Node's own modules, which an
  // ES module bundle has no binding for
  banner: { js: "import { createRequire as fsnodeCreateRequire } from 'node:module'; const require = fsnodeCreateRequire(import.meta.url);" }
})
