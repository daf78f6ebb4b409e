import { formatBytes, formatRate } from './format.js'
import { terminalText } from '../util/terminal-text.js'
import { MAX_DISPLAY_NAME } from '../util/constants.js'
import type { GetResult, StatusInfo } from '../node/api.js'

/** Text output shared by the commands and the interactive prompt. */

export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The line `fsnode get` prints when done, plus how much a resumed download did not fetch again. */
export function getSummary (result: GetResult): string {
  const files = result.files?.length
  const resumed = result.resumedChunks != null && result.resumedChunks > 0 ? `, ${plural(result.resumedChunks, 'chunk')} resumed` : ''
  const from = result.fromLocalShare === true ? 'this node\'s own share' : plural(result.providers.length, 'peer')
  return `${files != null ? `${plural(files, 'file')}, ` : ''}${formatBytes(result.size)} in ${result.seconds.toFixed(1)} s (${formatRate(result.bytesPerSecond)}) from ${from}${resumed} -> ${terminalText(result.path, MAX_DISPLAY_NAME)}`
}

export function formatPeers (s: StatusInfo): string {
  const lines = [`peers:       ${s.peers} connected`]
  if (s.reachability != null) lines.push(...reachabilityLines(s.reachability))
  if (s.embeddedCoordinator) lines.push('coordinator: embedded')
  for (const c of s.coordinators) lines.push(coordinatorLine(c))
  if (s.coordinators.length === 0 && !s.embeddedCoordinator) lines.push('coordinator: none (peers found through the DHT and the LAN)')
  return lines.join('\n')
}

/** The same lines as `fsnode status`. */
export function formatStatus (s: StatusInfo): string {
  const lines = [
    `node:        ${s.running ? 'running' : 'not running'} (${s.dataDir})`,
    `peer id:     ${s.peerId}`
  ]
  if (s.addrs.length > 0) lines.push(`addresses:   ${s.addrs.join('\n             ')}`)
  if (s.reachability != null) lines.push(...reachabilityLines(s.reachability))
  if (s.embeddedCoordinator) lines.push('coordinator: embedded')
  for (const c of s.coordinators) lines.push(coordinatorLine(c))
  if (s.share != null) {
    lines.push(`sharing:     ${plural(s.share.files, 'file')}, ${formatBytes(s.share.bytes)} from ${s.share.roots.join(', ')}`)
    const hashing = s.share.hashing != null && s.share.hashing > 0 ? ` (${s.share.hashing} being hashed)` : ''
    lines.push(`indexing:    ${s.share.hashed} hashed, ${s.share.cached} from cache, ${(s.share.scanMs / 1000).toFixed(2)} s${hashing}; watching: ${s.share.watching}`)
    if (s.share.lastError != null) lines.push(`warning:     ${terminalText(s.share.lastError)}`)
  }
  for (const extra of s.shares ?? []) lines.push(`also shared: ${extra.path}`)
  const relayed = s.connections?.filter(c => c.relayed).length ?? 0
  lines.push(`peers:       ${s.peers} connected${relayed > 0 ? ` (${relayed} connection${relayed === 1 ? '' : 's'} through a relay)` : ''}`)
  for (const d of s.downloads) lines.push(`downloading: ${terminalText(d.name, MAX_DISPLAY_NAME)} ${formatBytes(d.bytesDone)}/${formatBytes(d.bytesTotal)}`)
  return lines.join('\n')
}

function reachabilityLines (r: NonNullable<StatusInfo['reachability']>): string[] {
  const how = r.mode === 'public'
    ? `directly on ${r.public.join(', ')}`
    : r.mode === 'relayed'
      ? `through the relay of ${r.relays.filter(x => x.reserved).map(x => x.relay).join(', ')} (no public address)`
      : 'only from its own network (no public address, no relay slot)'
  const lines = [`reachable:   ${how}`]
  for (const x of r.relays) if (!x.reserved && x.error != null) lines.push(`relay:       ${x.error}`)
  return lines
}

function coordinatorLine (c: StatusInfo['coordinators'][number]): string {
  return `coordinator: ${c.addr} ${c.connected ? 'connected' : `not connected${c.lastError != null ? ` (${terminalText(c.lastError)})` : ''}`}`
}
