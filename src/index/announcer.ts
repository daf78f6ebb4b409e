import { logger as createLogger } from '@libp2p/logger'
import { ANNOUNCE_DEBOUNCE, CLIENT_TIMEOUT, KEEPALIVE_INTERVAL } from './constants.js'
import { CoordinatorLink } from './link.js'
import { Backoff } from './timers.js'
import type { AnnounceFile } from './client.js'
import type { AnnounceSource, AnnouncerNode, LinkState } from './link.js'
import type { BackoffInit } from './timers.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export type { AnnounceSource, AnnouncerNode, LinkState } from './link.js'

export interface AnnouncerInit {
  node: AnnouncerNode
  /** Coordinator addresses, each ending in /p2p/<peer id>. */
  coordinators: Array<Multiaddr | string>
  source: AnnounceSource
  /** Changes are collected this long before a delta is sent. @default ANNOUNCE_DEBOUNCE */
  debounce?: number
  /** Reconnect delays. @default { initial: RECONNECT_INITIAL, max: RECONNECT_MAX } */
  backoff?: BackoffInit
  /** An idle link sends an empty announce this often. @default KEEPALIVE_INTERVAL */
  keepalive?: number
  /** Deadline of each request to a coordinator. @default CLIENT_TIMEOUT */
  timeout?: number
}

/**
 * Keeps every configured coordinator up to date with what this node shares: a snapshot when
 * it connects, then deltas; reconnects with backoff and re-sends a snapshot after any break.
 */
export class Announcer {
  private readonly links: CoordinatorLink[]
  private readonly node: AnnouncerNode
  private started = false

  constructor (init: AnnouncerInit) {
    const log = createLogger('fsnode:index:announcer')
    this.node = init.node
    this.links = init.coordinators.map(addr => new CoordinatorLink(init.node, addr, init.source, {
      debounce: init.debounce ?? ANNOUNCE_DEBOUNCE,
      keepalive: init.keepalive ?? KEEPALIVE_INTERVAL,
      backoff: new Backoff(init.backoff),
      timeout: init.timeout ?? CLIENT_TIMEOUT,
      log
    }))
  }

  /** One entry per coordinator, for `fsnode status`. */
  get state (): LinkState[] {
    return this.links.map(l => ({ ...l.state }))
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.node.addEventListener('self:peer:update', this.onSelfUpdate)
    for (const l of this.links) l.start()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.node.removeEventListener('self:peer:update', this.onSelfUpdate)
    await Promise.all(this.links.map(async l => { await l.stop() }))
  }

  /** Files now shared (new or changed). */
  added (files: Iterable<AnnounceFile>): void {
    const list = [...files]
    for (const l of this.links) l.change(list, [])
  }

  /** Names no longer shared. */
  removed (names: Iterable<string>): void {
    const list = [...names]
    for (const l of this.links) l.change([], list)
  }

  /** The node's addresses changed. */
  refresh (): void {
    for (const l of this.links) l.refresh()
  }

  private readonly onSelfUpdate = (): void => { this.refresh() }
}
