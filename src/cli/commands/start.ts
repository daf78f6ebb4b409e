import { FsNode } from '../../node/fsnode.js'
import { nodeConfigFrom } from '../session.js'
import { formatBytes } from '../format.js'
import { waitForShutdown } from '../shutdown.js'
import { plural } from '../render.js'
import { terminalText } from '../../util/terminal-text.js'
import { MAX_ERROR_LINE } from '../../util/constants.js'
import type { CommonOptions } from '../session.js'
import type { Output } from '../output.js'

export interface StartOptions extends CommonOptions {
  listen?: string[]
  share?: string
  downloads?: string
}

/** A line of the daemon's: printed, or with --json (stdout is the JSON's) a warning goes to
 * stderr (an HTTP API reachable from the network must not go unsaid) and the rest is dropped. */
export function say (out: Output, json: boolean, line: string): void {
  if (!json) out.print(line)
  else if (line.startsWith('warning:')) (out.warn ?? out.print)(line)
}

/** How the share was indexed: scanned, or (a restart) as the last run left it, being checked. */
function scanLine (share: { files: number, hashed: number, cached: number, scanMs: number } | undefined): string {
  if (share != null && share.files > 0 && share.scanMs === 0) return 'as the last run left them; checking them in the background'
  return `${share?.hashed ?? 0} hashed, ${share?.cached ?? 0} from cache, ${((share?.scanMs ?? 0) / 1000).toFixed(2)} s`
}

/** `fsnode start`: run a node until SIGINT or SIGTERM. */
export async function runStart (opts: StartOptions, out: Output): Promise<void> {
  const config = nodeConfigFrom(opts)
  const node = await FsNode.daemon(config, { log: line => { say(out, opts.json === true, terminalText(line, MAX_ERROR_LINE)) } })
  const s = await node.status()
  if (opts.json === true) {
    out.json({ peerId: s.peerId, addrs: s.addrs, dataDir: s.dataDir, shareDir: config.shareDir, files: s.share?.files ?? 0, coordinatorAddrs: s.embeddedCoordinatorAddrs ?? [], apiUrl: s.apiUrl })
  } else {
    out.print([
      `fsnode node ${s.peerId}`,
      'listening on:',
      ...s.addrs.map(a => `  ${a}`),
      `sharing ${config.shareDir}: ${plural(s.share?.files ?? 0, 'file')}, ${formatBytes(s.share?.bytes ?? 0)} (${scanLine(s.share)})`,
      `downloads go to ${config.downloadsDir}`,
      ...(s.apiUrl != null ? [`metrics at ${s.apiUrl}/metrics`] : []),
      ...(s.embeddedCoordinator
        ? ['embedded coordinator; other machines put one of these in node.coordinators:', ...(s.embeddedCoordinatorAddrs ?? []).map(a => `  ${a}`)]
        : [`coordinators: ${config.coordinators.length === 0 ? 'none (DHT only)' : config.coordinators.join(', ')}`]),
      'ready; Ctrl-C stops the node'
    ].join('\n'))
  }
  await waitForShutdown()
  await node.stop()
}
