import { withNode, printJson } from '../session.js'
import { formatBytes } from '../format.js'
import type { CommonOptions } from '../session.js'

export async function runStatus (opts: CommonOptions): Promise<void> {
  const s = await withNode(opts, async node => await node.status())
  if (opts.json === true) { printJson(s); return }
  const lines = [
    `node:        ${s.running ? 'running' : 'not running'} (${s.dataDir})`,
    `peer id:     ${s.peerId}`
  ]
  if (s.addrs.length > 0) lines.push(`addresses:   ${s.addrs.join('\n             ')}`)
  if (s.embeddedCoordinator) lines.push('coordinator: embedded')
  for (const c of s.coordinators) {
    lines.push(`coordinator: ${c.addr} ${c.connected ? 'connected' : `not connected${c.lastError != null ? ` (${c.lastError})` : ''}`}`)
  }
  if (s.share != null) {
    lines.push(`sharing:     ${s.share.files} files, ${formatBytes(s.share.bytes)} from ${s.share.roots.join(', ')}`)
    lines.push(`indexing:    ${s.share.hashed} hashed, ${s.share.cached} from cache, ${(s.share.scanMs / 1000).toFixed(2)} s; watching: ${s.share.watching}`)
    if (s.share.lastError != null) lines.push(`warning:     ${s.share.lastError}`)
  }
  lines.push(`peers:       ${s.peers} connected`)
  for (const d of s.downloads) lines.push(`downloading: ${d.name} ${formatBytes(d.bytesDone)}/${formatBytes(d.bytesTotal)}`)
  process.stdout.write(lines.join('\n') + '\n')
}
