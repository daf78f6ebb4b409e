import { loadOrCreateKey } from '../../host/identity.js'
import { nodeConfigFrom } from '../session.js'
import type { CommonOptions } from '../session.js'
import type { Output } from '../output.js'

/** `fsnode id`: the peer id of the data dir's key, without starting a node. */
export async function runId (opts: CommonOptions, out: Output): Promise<void> {
  const config = nodeConfigFrom(opts)
  const { peerId, created } = await loadOrCreateKey(config.dataDir)
  if (opts.json === true) out.json({ peerId: peerId.toString(), dataDir: config.dataDir, created })
  else out.print(peerId.toString())
}
