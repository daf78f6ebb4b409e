/**
 * The coordinator's entry point for deployments (see fsnode-coordinator.service): the same as
 * `fsnode coordinator`, with any extra arguments passed through.
 */
process.argv.splice(2, 0, 'coordinator')
await import('../src/cli/main.js')
