#!/usr/bin/env node
// fsnode needs Node 24 (libp2p 3 uses Promise.withResolvers and friends). `npm start`, `npm test`
// and `npx fsnode` run the Node 24 that `npm install` put in node_modules; a plain shell's node
// may be older, so say so in one line instead of failing deep inside libp2p.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`fsnode: needs Node.js 24 or newer (this is ${process.version}); run it through npx fsnode or npm start, which use the Node 24 that npm install provides\n`)
  process.exit(1)
}
// a small young generation for the commands that move file data: faster transfers, 50-90 MB
// less memory; the standalone coordinator keeps V8's default (see src/util/heap.ts)
const { tuneHeap } = await import('../dist/src/util/heap.js')
if (process.argv[2] !== 'coordinator') tuneHeap()
await import('../dist/src/cli/main.js')
