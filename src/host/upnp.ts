import { serviceCapabilities, start, stop } from '@libp2p/interface'
import type { Logger, Startable } from '@libp2p/interface'
import type { UPnPNATComponents, UPnPNATInit } from '@libp2p/upnp-nat'
import { UPNP_LOAD_DELAY_MS } from './constants.js'

/**
 * @libp2p/upnp-nat, loaded and started a moment after the node: it brings ~75 modules (an XML
 * parser, SSDP, an HTTP client) that cost a start ~0.07 CPU-s, and a port mapping is not
 * needed to answer or to serve peers on the LAN. Started late it loses nothing: it maps the
 * node's addresses once it finds a gateway, which takes seconds anyway.
 */
export function lazyUPnPNAT (init: UPnPNATInit): (components: UPnPNATComponents) => LazyUPnPNAT {
  return components => new LazyUPnPNAT(components, init)
}

export class LazyUPnPNAT implements Startable {
  readonly [Symbol.toStringTag] = 'fsnode:lazy-upnp-nat'
  readonly [serviceCapabilities] = ['@libp2p/nat-traversal']
  private readonly log: Logger
  private timer?: NodeJS.Timeout
  private running?: Promise<Startable | undefined>
  private stopped = false

  constructor (private readonly components: UPnPNATComponents, private readonly init: UPnPNATInit) {
    this.log = components.logger.forComponent('fsnode:upnp')
  }

  start (): void {
    this.stopped = false
    this.timer = setTimeout(() => { this.running = this.load() }, UPNP_LOAD_DELAY_MS)
    this.timer.unref()
  }

  private async load (): Promise<Startable | undefined> {
    try {
      const { uPnPNAT } = await import('@libp2p/upnp-nat')
      if (this.stopped) return undefined
      const service = uPnPNAT(this.init)(this.components) as unknown as Startable
      await start(service)
      return service
    } catch (err: any) {
      this.log.error('UPnP port mapping not started: %s', err.message)
      return undefined
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    const service = await this.running
    this.running = undefined
    if (service != null) await stop(service)
  }
}
