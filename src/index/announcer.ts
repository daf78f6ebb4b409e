import { serviceCapabilities } from '@libp2p/interface'
import { ANNOUNCE_DEBOUNCE, CLIENT_TIMEOUT, KEEPALIVE_INTERVAL } from './constants.js'
import { CoordinatorLink } from './link.js'
import { Backoff } from './timers.js'
import type { AnnounceFile } from './client.js'
import type { AnnounceSource, AnnouncerNode, LinkState } from './link.js'
import type { BackoffInit } from './timers.js'
import type { AbortOptions, ComponentLogger, Connection, Libp2pEvents, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type { AnnounceSource, AnnouncerNode, LinkState } from './link.js'

/** What the announcer needs of libp2p: its components, or a Libp2p node's matching methods. */
export interface AnnouncerComponents {
  /** self:peer:update (our addresses changed) and peer:disconnect (a coordinator link broke). */
  events: Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'>
  connectionManager: { openConnection: (addr: Multiaddr, options?: AbortOptions) => Promise<Connection> }
  /** Where this node can be dialled, sent with every snapshot. */
  addressManager: { getAddresses: () => Multiaddr[] }
  logger: ComponentLogger
}

export interface AnnouncerInit {
  /** Coordinator addresses, each ending in /p2p/<peer id>. */
  coordinators: Array<Multiaddr | string>
  /** What this node shares now (a snapshot reads it all). */
  files: AnnounceSource['files']
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
export class Announcer implements Startable {
  readonly [Symbol.toStringTag] = 'fsnode:announcer'
  readonly [serviceCapabilities] = ['@fsnode/announcer']
  private readonly links: CoordinatorLink[]
  private readonly node: AnnouncerNode
  private started = false

  constructor (components: AnnouncerComponents, init: AnnouncerInit) {
    const log = components.logger.forComponent('fsnode:index:announcer')
    const { events, connectionManager, addressManager } = components
    this.node = {
      addEventListener: events.addEventListener.bind(events),
      removeEventListener: events.removeEventListener.bind(events),
      dialProtocol: async (addr, protocol, options) => await (await connectionManager.openConnection(addr, options)).newStream(protocol, options)
    }
    const source: AnnounceSource = { files: init.files, addrs: () => addressManager.getAddresses() }
    this.links = init.coordinators.map(addr => new CoordinatorLink(this.node, addr, source, {
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

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.node.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  /** The links dial only once the node is up: during start() the connection manager is not
   * yet started, and a first dial failing with "Not started" would hide the real reason a
   * coordinator is unreachable (a wrong peer id) until the backoff's next try. */
  afterStart (): void {
    if (this.started) for (const l of this.links) l.start()
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

/**
 * The announcer as a libp2p service (`services: { announcer: announcer({ coordinators, files }) }`):
 * libp2p starts it with the node and stops it before the node closes its connections.
 */
export function announcer (init: AnnouncerInit): (components: AnnouncerComponents) => Announcer {
  return (components) => new Announcer(components, init)
}
