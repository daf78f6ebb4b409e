import { loadNodeConfig } from '../config/load.js'
import { ControlClient } from '../control/client.js'
import { RemoteNode } from '../node/remote.js'
import { FsNode } from '../node/fsnode.js'
import { terminalJson } from '../util/terminal-text.js'
import type { Flags, NodeConfig } from '../config/load.js'
import type { NodeApi } from '../node/api.js'

export interface CommonOptions {
  config?: string
  dataDir?: string
  coordinator?: string[]
  json?: boolean
}

export function nodeConfigFrom (opts: CommonOptions & Flags): NodeConfig {
  return loadNodeConfig({
    config: opts.config,
    dataDir: opts.dataDir,
    coordinator: opts.coordinator,
    listen: opts.listen,
    share: opts.share,
    downloads: opts.downloads,
    maxUpload: opts.maxUpload,
    maxDownload: opts.maxDownload,
    apiListen: opts.apiListen
  })
}

/**
 * The node to talk to: the one running on the data dir (through its control socket), or else
 * a short-lived node of our own that stops when the command is done.
 */
export async function openNode (opts: CommonOptions): Promise<NodeApi> {
  const config = nodeConfigFrom(opts)
  const client = ControlClient.forDataDir(config.dataDir)
  if (await client.available()) return new RemoteNode(client)
  return await FsNode.ephemeral(config)
}

/** For commands that only make sense against a running node (share, unshare). */
export async function openDaemon (opts: CommonOptions): Promise<NodeApi> {
  const config = nodeConfigFrom(opts)
  const client = ControlClient.forDataDir(config.dataDir)
  if (await client.available()) return new RemoteNode(client)
  throw new NoNodeRunningError(`no node is running on ${config.dataDir}; start one with: fsnode start --data-dir ${config.dataDir}`)
}

export class NoNodeRunningError extends Error {
  static readonly code = 'NoNodeRunningError'
  override name = 'NoNodeRunningError'
}

export async function withNode<T> (opts: CommonOptions, fn: (node: NodeApi) => Promise<T>, daemonOnly = false): Promise<T> {
  const node = daemonOnly ? await openDaemon(opts) : await openNode(opts)
  try {
    return await fn(node)
  } finally {
    await node.close()
  }
}

export function printJson (value: unknown): void {
  // names from the network stay exact for a JSON reader, but C1 and bidi controls are escaped
  process.stdout.write(terminalJson(value, 2) + '\n')
}
