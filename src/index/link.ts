import { multiaddr } from '@multiformats/multiaddr'
import { logger as createLogger } from '@libp2p/logger'
import { INDEX_PROTOCOL } from '../wire/constants.js'
import { IndexClient } from './client.js'
import { dialFailure } from '../host/peer-check.js'
import { entryProblem } from './validate.js'
import type { Backoff } from './timers.js'
import type { EntryFields } from './validate.js'
import { Wakeup } from './timers.js'
import type { AnnounceFile } from './client.js'
import type { Libp2pEvents, PeerId, TypedEventTarget, AbortOptions, Stream, Logger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What the announcer reads: the node's shared files and its addresses, at any time. `files()`
 * must already reflect every change passed to added()/removed(): a snapshot replaces them. Each
 * file is read before the next is asked for and not kept: the iterator may reuse one object. */
export interface AnnounceSource {
  files: () => Iterable<AnnounceFile>
  addrs: () => Multiaddr[]
}

/** The slice of a libp2p node the announcer needs. */
export interface AnnouncerNode extends Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'> {
  dialProtocol: (addr: Multiaddr, protocol: string, options?: AbortOptions) => Promise<Stream>
}

export interface LinkOptions {
  debounce: number
  keepalive: number
  backoff: Backoff
  timeout?: number
  log?: Logger
}

export interface LinkState {
  addr: string
  connected: boolean
  lastAnnounceAt?: number
  lastError?: string
  /** Files left out of the last snapshot because the coordinator would refuse them. */
  skipped: number
}

class LinkDownError extends Error {
  static readonly code = 'LinkDownError'
  override name = 'LinkDownError'
}

/**
 * Keeps one coordinator up to date: a snapshot on every (re)connect, then debounced deltas and
 * keepalives on one stream. Any failure or a disconnect ends the session; the next one starts
 * after a backoff and sends a fresh snapshot, so a coordinator that restarted (or lost its
 * index) is healed without anyone noticing.
 */
export class CoordinatorLink {
  readonly state: LinkState
  private readonly addr: Multiaddr
  private readonly peer?: string
  private readonly log: Logger
  private readonly pending = new Map<string, AnnounceFile | null>()
  private readonly wake = new Wakeup()
  private session?: AbortController
  private stopped = new AbortController()
  private loop?: Promise<void>
  private sentAddrs = ''
  private down = false

  constructor (private readonly node: AnnouncerNode, addr: Multiaddr | string, private readonly source: AnnounceSource, private readonly opts: LinkOptions) {
    this.addr = typeof addr === 'string' ? multiaddr(addr) : addr
    this.peer = this.addr.getComponents().filter(c => c.name === 'p2p').pop()?.value
    this.state = { addr: this.addr.toString(), connected: false, skipped: 0 }
    this.log = opts.log ?? createLogger('fsnode:index:announcer')
  }

  start (): void {
    if (this.loop != null) return
    this.stopped = new AbortController()
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    this.loop = this.run()
  }

  async stop (): Promise<void> {
    this.stopped.abort()
    this.session?.abort()
    this.wake.notify()
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.loop
    this.loop = undefined
    this.state.connected = false
  }

  /** Queue changes; the latest change of a name wins. */
  change (added: Iterable<AnnounceFile>, removed: Iterable<string>): void {
    for (const name of removed) this.pending.set(name, null)
    for (const f of added) this.pending.set(f.name, f)
    this.wake.notify(this.opts.debounce)
  }

  /** The addresses may have changed: send them soon. */
  refresh (): void {
    this.wake.notify(this.opts.debounce)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    if (this.peer != null && evt.detail.toString() === this.peer) {
      this.down = true
      this.session?.abort(new LinkDownError('disconnected from the coordinator'))
      this.wake.notify()
    }
  }

  private async run (): Promise<void> {
    while (!this.stopped.signal.aborted) {
      try {
        await this.runSession()
      } catch (err: any) {
        if (this.stopped.signal.aborted) break
        this.state.connected = false
        this.state.lastError = dialFailure(err, this.addr.toString())
        this.log('coordinator %s: %s', this.state.addr, err.message)
      }
      if (this.stopped.signal.aborted) break
      await this.opts.backoff.wait(this.stopped.signal)
    }
  }

  private async runSession (): Promise<void> {
    const session = new AbortController()
    this.session = session
    this.down = false
    const signal = AbortSignal.any([session.signal, this.stopped.signal])
    const client = new IndexClient({
      timeout: this.opts.timeout,
      dial: async s => await this.node.dialProtocol(this.addr, INDEX_PROTOCOL, { signal: AbortSignal.any([s, signal]) })
    })
    try {
      // the snapshot reads the source now, so changes queued before it are already in it
      this.pending.clear()
      const addrs = this.source.addrs()
      let skipped = 0
      const files = this.valid(this.source.files(), () => { skipped++ })
      const { accepted } = await client.announce({ replace: true, files, addrs }, { signal })
      this.sentAddrs = addrsKey(addrs)
      Object.assign(this.state, { connected: true, lastAnnounceAt: Date.now(), lastError: undefined, skipped })
      this.opts.backoff.reset()
      this.log('coordinator %s: snapshot of %d files sent', this.state.addr, accepted)
      while (true) {
        await this.wake.wait(this.opts.keepalive, signal)
        if (this.down) throw new LinkDownError('disconnected from the coordinator')
        signal.throwIfAborted()
        await this.flush(client, signal)
        this.state.lastAnnounceAt = Date.now()
      }
    } finally {
      this.state.connected = false
      await client.close()
    }
  }

  /** Send queued deltas, or an empty announce as a keepalive (it also carries new addresses). */
  private async flush (client: IndexClient, signal: AbortSignal): Promise<void> {
    const changes = [...this.pending]
    this.pending.clear()
    const removed = changes.filter(([, f]) => f == null).map(([name]) => name)
    const added = changes.map(([, f]) => f).filter((f): f is AnnounceFile => f != null)
    if (removed.length > 0) await client.withdraw(removed, { signal })
    const addrs = this.source.addrs()
    const key = addrsKey(addrs)
    if (added.length > 0 || removed.length === 0 || key !== this.sentAddrs) {
      await client.announce({ files: this.valid(added, () => {}), addrs: key !== this.sentAddrs ? addrs : undefined }, { signal })
      this.sentAddrs = key
    }
  }

  private * valid (files: Iterable<AnnounceFile>, onSkip: () => void): Generator<AnnounceFile> {
    for (const f of files) {
      // no copy of a file that has its id's bytes: a snapshot of 200,000 files made one each
      const problem = entryProblem(f.fileId instanceof Uint8Array ? f as EntryFields : { ...f, fileId: f.fileId.bytes })
      if (problem == null) { yield f; continue }
      onSkip()
      this.log('not announcing %s', problem)
    }
  }
}

function addrsKey (addrs: Multiaddr[]): string {
  return addrs.map(a => a.toString()).sort().join(' ')
}
