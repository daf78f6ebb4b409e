import { loadOrCreateKey } from '../../host/identity.js'
import { nodeConfigFrom, printJson } from '../session.js'
import type { CommonOptions } from '../session.js'

export async function runId (opts: CommonOptions): Promise<void> {
  const config = nodeConfigFrom(opts)
  const { peerId, created } = await loadOrCreateKey(config.dataDir)
  if (opts.json === true) printJson({ peerId: peerId.toString(), dataDir: config.dataDir, created })
  else process.stdout.write(`${peerId.toString()}\n`)
}
