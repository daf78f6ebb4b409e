import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Connection, IdentifyResult, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { PROTOCOL_PREFIX } from '../wire/constants.js'
import {
  DIAL_TIMEOUT, MAX_REMEMBERED_ADDRS, MAX_REMEMBERED_PEERS, PEERS_SAVE_DEBOUNCE, REJOIN_DIAL_CONCURRENCY,
  REJOIN_INTERVAL, REJOIN_MAX_REMEMBERED, REJOIN_RETRY_MIN, REJOIN_TARGET
} from './constants.js'

const log = logger('fsnode:host:peers')

export class BootstrapAddressError extends Error {
  static readonly code = 'BootstrapAddressError'
  override name = 'BootstrapAddressError'
}

/** What dialling needs of libp2p's connection manager. */
export interface Dialer {
  openConnection: (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions) => Promise<Connection>
  getConnections: (peerId?: PeerId) => Connection[]
}

/** A bootstrap address and the peer it names; @libp2p/bootstrap silently drops an address
 * without /p2p/<id>, so that is an error here. */
export function parseBootstrap (addrs: string[]): Array<{ peerId: PeerId, addr: Multiaddr }> {
  return addrs.map(text => {
    let ma: Multiaddr
    try {
      ma = multiaddr(text)
    } catch (err: any) {
      throw new BootstrapAddressError(`not a multiaddr: ${text} (${err.message})`)
    }
    const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
    if (id == null) throw new BootstrapAddressError(`bootstrap address ${text} must end in /p2p/<peer id>`)
    return { peerId: peerIdFromString(id), addr: ma }
  })
}

/** Dial a peer, giving up after `timeout` or when `signal` fires; true when connected. */
export async function dialQuietly (dialer: Dialer, target: PeerId | Multiaddr[], timeout: number, signal?: AbortSignal): Promise<boolean> {
  const signals = [AbortSignal.timeout(timeout)]
  if (signal != null) signals.push(signal)
  try {
    await dialer.openConnection(target, { signal: AbortSignal.any(signals) })
    return true
  } catch (err: any) {
    log('dial %s failed: %s', Array.isArray(target) ? target.map(String).join(',') : target.toString(), err.message)
    return false
  }
}

export interface RememberedPeer {
  id: string
  addrs: string[]
  /** ms since the epoch of the last identify. */
  lastSeen: number
}

interface PeersFile {
  version: 1
  peers: RememberedPeer[]
}

export interface PeerMemoryInit {
  /** peers.json; without it nothing is remembered (bootstrap peers are still retried). */
  file?: string
  /** Bootstrap multiaddrs (with /p2p/): retried with the remembered peers while alone. */
  bootstrap?: string[]
  maxPeers?: number
  rejoinTarget?: number
  rejoinInterval?: number
  dialTimeout?: number
  saveDebounce?: number
}

export interface PeerMemoryComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: Dialer
  events: EventTarget
}

export interface PeerMemoryServices {
  peerMemory: PeerMemory
}

export function peerMemory (init: PeerMemoryInit): (components: PeerMemoryComponents) => PeerMemory {
  return (components) => new PeerMemory(components, init)
}

/**
 * Remembers the fsnode peers this node talked to (peer id and listen addresses from identify,
 * the most recently seen MAX_REMEMBERED_PEERS) in peers.json, written debounced and atomically.
 * On start it dials them, a few at a time, until REJOIN_TARGET answered: the DHT routing table
 * fills from those connections and the node is back in the network without any coordinator.
 * While the node has no connection at all it tries again (remembered peers, then bootstrap
 * peers: @libp2p/bootstrap dials only once, at start), after REJOIN_RETRY_MIN, doubling up to
 * REJOIN_INTERVAL.
 */
export class PeerMemory implements Startable {
  private readonly peers = new Map<string, RememberedPeer>()
  private readonly bootstrap: Array<{ peerId: PeerId, addr: Multiaddr }>
  private readonly maxPeers: number
  private readonly rejoinTarget: number
  private readonly rejoinInterval: number
  private readonly dialTimeout: number
  private readonly saveDebounce: number
  private saveTimer?: ReturnType<typeof setTimeout>
  private saving: Promise<void> = Promise.resolve()
  private dirty = false
  private rejoinTimer?: ReturnType<typeof setTimeout>
  private rejoining?: Promise<number>
  private shutdown = new AbortController()

  constructor (private readonly components: PeerMemoryComponents, private readonly init: PeerMemoryInit) {
    this.bootstrap = parseBootstrap(init.bootstrap ?? [])
    this.maxPeers = init.maxPeers ?? MAX_REMEMBERED_PEERS
    this.rejoinTarget = init.rejoinTarget ?? REJOIN_TARGET
    this.rejoinInterval = init.rejoinInterval ?? REJOIN_INTERVAL
    // libp2p joins dials to one peer into one, ended by the first caller's signal: @libp2p/bootstrap
    // dials the same bootstrap peers a second later and its dial ended with ours, at 5 s (every
    // dial of a node on a loaded machine to a coordinator busy with a burst of handshakes failed)
    this.dialTimeout = init.dialTimeout ?? DIAL_TIMEOUT
    this.saveDebounce = init.saveDebounce ?? PEERS_SAVE_DEBOUNCE
  }

  async start (): Promise<void> {
    this.shutdown = new AbortController()
    this.peers.clear()
    for (const p of await this.load()) this.peers.set(p.id, p)
    this.components.events.addEventListener('peer:identify', this.onIdentify)
  }

  async afterStart (): Promise<void> {
    for (const p of this.list()) {
      try {
        await this.components.peerStore.merge(peerIdFromString(p.id), { multiaddrs: p.addrs.map(a => multiaddr(a)) })
      } catch (err: any) {
        log('skipping remembered peer %s: %s', p.id, err.message)
      }
    }
    void this.rejoin().then(answered => { this.scheduleRejoin(answered > 0 ? this.rejoinInterval : REJOIN_RETRY_MIN) })
  }

  /** While alone, try again: soon after a failed attempt, then less often. */
  private scheduleRejoin (delay: number): void {
    if (this.shutdown.signal.aborted) return
    this.rejoinTimer = setTimeout(() => {
      if (this.components.connectionManager.getConnections().length > 0) {
        this.scheduleRejoin(this.rejoinInterval)
        return
      }
      void this.rejoin().then(answered => {
        this.scheduleRejoin(answered > 0 ? this.rejoinInterval : Math.min(this.rejoinInterval, delay * 2))
      })
    }, delay)
    this.rejoinTimer.unref?.()
  }

  async stop (): Promise<void> {
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    clearTimeout(this.rejoinTimer)
    this.shutdown.abort()
    await this.rejoining
    await this.flush()
  }

  /** Remembered peers, most recently seen first. */
  list (): RememberedPeer[] {
    return [...this.peers.values()].sort((a, b) => b.lastSeen - a.lastSeen)
  }

  /**
   * Dial remembered peers (the REJOIN_MAX_REMEMBERED most recently seen), then bootstrap peers,
   * REJOIN_DIAL_CONCURRENCY at a time until `rejoinTarget` are connected; resolves to how many
   * answered. One run at a time.
   */
  async rejoin (): Promise<number> {
    if (this.rejoining != null) return await this.rejoining
    this.rejoining = this.dialAll().finally(() => { this.rejoining = undefined })
    return await this.rejoining
  }

  /** Write peers.json now if anything changed. */
  async flush (): Promise<void> {
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    await this.save()
  }

  private async dialAll (): Promise<number> {
    const self = this.components.peerId
    const targets: PeerId[] = []
    const seen = new Set<string>([self.toString()])
    for (const p of this.list().slice(0, REJOIN_MAX_REMEMBERED)) {
      if (!seen.has(p.id)) { seen.add(p.id); targets.push(peerIdFromString(p.id)) }
    }
    for (const b of this.bootstrap) {
      const key = b.peerId.toString()
      if (seen.has(key)) continue
      seen.add(key)
      await this.components.peerStore.merge(b.peerId, { multiaddrs: [b.addr.decapsulateCode(CODE_P2P)] }).catch(() => {})
      targets.push(b.peerId)
    }
    let connected = 0
    let next = 0
    const signal = this.shutdown.signal
    const worker = async (): Promise<void> => {
      while (next < targets.length && connected < this.rejoinTarget && !signal.aborted) {
        const peer = targets[next++]
        if (this.components.connectionManager.getConnections(peer).length > 0 ||
          await dialQuietly(this.components.connectionManager, peer, this.dialTimeout, signal)) connected++
      }
    }
    await Promise.all(Array.from({ length: REJOIN_DIAL_CONCURRENCY }, worker))
    log('rejoin: %d of %d known peers answered', connected, targets.length)
    return connected
  }

  private readonly onIdentify = (event: Event): void => {
    const result = (event as CustomEvent<IdentifyResult>).detail
    if (!result.protocols.some(p => p.startsWith(`${PROTOCOL_PREFIX}/`))) return
    const addrs = result.listenAddrs
      .filter(a => !a.toString().includes('/p2p-circuit'))
      .map(a => a.decapsulateCode(CODE_P2P).toString())
      .slice(0, MAX_REMEMBERED_ADDRS)
    if (addrs.length === 0) return
    const id = result.peerId.toString()
    this.peers.delete(id)
    this.peers.set(id, { id, addrs, lastSeen: Date.now() })
    if (this.peers.size > this.maxPeers) {
      for (const old of this.list().slice(this.maxPeers)) this.peers.delete(old.id)
    }
    this.dirty = true
    this.scheduleSave()
  }

  private scheduleSave (): void {
    if (this.init.file == null || this.saveTimer != null) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      void this.save()
    }, this.saveDebounce)
    this.saveTimer.unref?.()
  }

  private async save (): Promise<void> {
    const file = this.init.file
    if (file == null) return
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return
      this.dirty = false
      const body: PeersFile = { version: 1, peers: this.list() }
      const tmp = `${file}.${process.pid}.tmp`
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 })
        await writeFile(tmp, JSON.stringify(body, null, 1) + '\n')
        await rename(tmp, file)
      } catch (err: any) {
        this.dirty = true
        log.error('could not write %s: %s', file, err.message)
      }
    })
    await this.saving
  }

  private async load (): Promise<RememberedPeer[]> {
    const file = this.init.file
    if (file == null) return []
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err: any) {
      if (err.code !== 'ENOENT') log.error('could not read %s: %s', file, err.message)
      return []
    }
    try {
      const json = JSON.parse(text) as Partial<PeersFile>
      if (json.version !== 1 || !Array.isArray(json.peers)) throw new Error('unknown format')
      return json.peers.filter(isRememberedPeer).slice(0, this.maxPeers)
    } catch (err: any) {
      log.error('ignoring %s: %s', file, err.message) // rewritten on the next save
      return []
    }
  }
}

function isRememberedPeer (p: any): p is RememberedPeer {
  if (p == null || typeof p.id !== 'string' || typeof p.lastSeen !== 'number' || !Array.isArray(p.addrs)) return false
  try {
    peerIdFromString(p.id)
    for (const a of p.addrs) multiaddr(a)
    return p.addrs.length > 0
  } catch {
    return false
  }
}
