import { loadCoordinatorConfig } from '../../config/load.js'
import { CoordinatorNode } from '../../node/coordinator-node.js'
import { waitForShutdown } from '../shutdown.js'
import { say } from './start.js'
import type { Output } from '../output.js'

export interface CoordinatorOptions {
  config?: string
  dataDir?: string
  listen?: string[]
  apiListen?: string
  json?: boolean
}

/** `fsnode coordinator`: run a coordinator until SIGINT or SIGTERM. */
export async function runCoordinator (opts: CoordinatorOptions, out: Output): Promise<void> {
  const config = loadCoordinatorConfig({ config: opts.config, dataDir: opts.dataDir, listen: opts.listen, apiListen: opts.apiListen })
  const node = await CoordinatorNode.start(config, line => { say(out, opts.json === true, line) })
  if (opts.json === true) {
    out.json({ peerId: node.peerId, addrs: node.addrs(), dataDir: config.dataDir, apiUrl: node.apiUrl })
  } else {
    out.print([
      `fsnode coordinator ${node.peerId}`,
      'listening on (nodes put one of these in node.coordinators):',
      ...node.addrs().map(a => `  ${a}`),
      `index: ${config.dataDir}`,
      ...(node.apiUrl != null ? [`metrics at ${node.apiUrl}/metrics`] : []),
      config.relay.enabled
        ? `relay: on for the network's peers${config.allowPeers != null ? ' in allowPeers' : ''} (${config.relay.maxReservations} reservations, ${rate(config.relay.peerBytesPerSecond)} per peer, ${rate(config.relay.totalBytesPerSecond)} in all)`
        : 'relay: off',
      'ready; Ctrl-C stops it'
    ].join('\n'))
  }
  await waitForShutdown()
  await node.stop()
}

function rate (bytesPerSecond: number): string {
  return bytesPerSecond === 0 ? 'no limit' : `${(bytesPerSecond / (1024 * 1024)).toFixed(1)} MiB/s`
}
