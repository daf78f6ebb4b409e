import { loadCoordinatorConfig } from '../../config/load.js'
import { CoordinatorNode } from '../../node/coordinator-node.js'
import { printJson } from '../session.js'
import { waitForShutdown } from '../shutdown.js'

export interface CoordinatorOptions {
  config?: string
  dataDir?: string
  listen?: string[]
  json?: boolean
}

export async function runCoordinator (opts: CoordinatorOptions): Promise<void> {
  const config = loadCoordinatorConfig({ config: opts.config, dataDir: opts.dataDir, listen: opts.listen })
  const node = await CoordinatorNode.start(config)
  if (opts.json === true) {
    printJson({ peerId: node.peerId, addrs: node.addrs(), dataDir: config.dataDir })
  } else {
    process.stdout.write([
      `fsnode coordinator ${node.peerId}`,
      'listening on (nodes put one of these in node.coordinators):',
      ...node.addrs().map(a => `  ${a}`),
      `index: ${config.dataDir}`,
      'ready; Ctrl-C stops it'
    ].join('\n') + '\n')
  }
  await waitForShutdown()
  await node.stop()
}
