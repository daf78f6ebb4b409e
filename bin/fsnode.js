#!/usr/bin/env node
// fsnode needs Node 24 (libp2p 3 uses Promise.withResolvers and friends). The `node` package, a
// dependency, brings a Node 24 runtime; `npm start`, `npm test` and `npx fsnode` put it first on
// PATH. Anywhere else (a global install, a plain shell) the `node` that runs this file may be
// older: then run this file again under that Node 24, or say in one line that there is none.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.exitCode = await runUnderBundledNode()
} else {
  // a small young generation for the commands that move file data: faster transfers, 50-90 MB
  // less memory; the standalone coordinator keeps V8's default (see src/util/heap.ts)
  const { tuneHeap } = await import('../dist/src/util/heap.js')
  // compiled code kept across runs (see src/util/compile-cache.ts): before the program is imported
  const { enableCompileCache } = await import('../dist/src/util/compile-cache.js')
  enableCompileCache()
  if (process.argv[2] !== 'coordinator') tuneHeap()
  // the CLI as one bundle (see scripts/bundle.js)
  await import('../dist/bundle/main.js')
}

/** This command again, as a child running the `node` dependency's binary; its exit status. */
async function runUnderBundledNode () {
  const { createRequire } = await import('node:module')
  const { spawn } = await import('node:child_process')
  const { constants } = await import('node:os')
  const { fileURLToPath } = await import('node:url')
  let node
  try {
    node = createRequire(import.meta.url).resolve('node/bin/node')
  } catch {
    process.stderr.write(`fsnode: needs Node.js 24 or newer (this is ${process.version}) and the Node 24 of its npm dependency \`node\` is not installed; run npm install (or put Node 24 on PATH)\n`)
    return 1
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  // Ctrl-C reaches the child from the terminal (same process group): the parent only waits.
  // A signal sent to the parent alone (kill, systemd) is passed on.
  process.on('SIGINT', () => {})
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  return await new Promise(resolve => {
    child.on('error', err => {
      process.stderr.write(`fsnode: cannot run Node 24 at ${node}: ${err.message}\n`)
      resolve(1)
    })
    child.on('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)))
  })
}
