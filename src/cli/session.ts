import { loadNodeConfig } from '../config/load.js'
import { ControlClient } from '../control/client.js'
import { RemoteNode } from '../node/remote.js'
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
  // libp2p and the node load only when no daemon answers: a command through a daemon starts
  // in a fraction of the time
  const { FsNode } = await import('../node/fsnode.js')
  return await FsNode.ephemeral(config)
}

/** For commands that only make sense against a running node (share, unshare, limit). */
export async function openDaemon (opts: CommonOptions, command: string): Promise<NodeApi> {
  const config = nodeConfigFrom(opts)
  const client = ControlClient.forDataDir(config.dataDir)
  if (await client.available()) return new RemoteNode(client)
  throw noNodeRunning(command, config.dataDir)
}

/** The same words on the command line and at the prompt. */
export function noNodeRunning (command: string, dataDir: string): NoNodeRunningError {
  return new NoNodeRunningError(`no node is running on ${dataDir} (${command} needs one); start one with: fsnode start --data-dir ${dataDir}`)
}

export class NoNodeRunningError extends Error {
  static readonly code = 'NoNodeRunningError'
  override name = 'NoNodeRunningError'
}
