// The provide upkeep as a libp2p service (see ProvideUpkeep): started and stopped with the node.
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import type { ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import { PROVIDE_SYNC_DELAY } from './constants.js'
import { ProvideUpkeep } from './provide-upkeep.js'
import { DhtDisabledError, ProviderRecords } from './provider-records.js'
import type { FileIdSource, ProvideUpkeepInit, ProvideUpkeepStats } from './provide-upkeep.js'
import type { ProviderDht } from './provider-records.js'

/** What the provide upkeep service needs of libp2p: the DHT service (registered before it). */
export interface ProvideUpkeepComponents {
  /** Missing: the node runs no DHT, and the service does not start. */
  dht?: ProviderDht
  peerId: PeerId
  logger: ComponentLogger
}

export interface ProvideUpkeepServiceInit extends ProvideUpkeepInit {
  /** The file ids to keep provided. */
  source: FileIdSource
  /** Sends 'change' when the file ids may have changed (the share index does). */
  changes?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  /** Changes are collected this long before a diff; the first diff waits as long after
   * start. @default PROVIDE_SYNC_DELAY */
  syncDelay?: number
}

/**
 * ProvideUpkeep as a libp2p service: started with the node, it diffs the source
 * PROVIDE_SYNC_DELAY later and after each burst of changes; stopped with the node.
 */
export class ProvideUpkeepService implements Startable {
  readonly [Symbol.toStringTag] = 'fsnode:provide-upkeep'
  readonly [serviceCapabilities] = ['@fsnode/provide-upkeep']
  readonly [serviceDependencies] = ['@libp2p/kad-dht']
  private readonly log: Logger
  private readonly syncDelay: number
  private upkeep?: ProvideUpkeep
  private timer?: ReturnType<typeof setTimeout>

  constructor (private readonly components: ProvideUpkeepComponents, private readonly init: ProvideUpkeepServiceInit) {
    this.log = components.logger.forComponent('fsnode:host:dht:upkeep')
    this.syncDelay = init.syncDelay ?? PROVIDE_SYNC_DELAY
  }

  isStarted (): boolean {
    return this.upkeep != null
  }

  start (): void {
    if (this.upkeep != null) return
    const { dht, peerId } = this.components
    if (dht == null) throw new DhtDisabledError('the provide upkeep needs the DHT service (createHost with dht)')
    this.upkeep = new ProvideUpkeep(new ProviderRecords(dht, peerId), this.init.source, this.init)
    this.init.changes?.addEventListener('change', this.onChange)
    this.onChange()
  }

  async stop (): Promise<void> {
    const upkeep = this.upkeep
    if (upkeep == null) return
    this.upkeep = undefined
    this.init.changes?.removeEventListener('change', this.onChange)
    clearTimeout(this.timer)
    this.timer = undefined
    await upkeep.stop()
  }

  stats (): ProvideUpkeepStats | undefined {
    return this.upkeep?.stats()
  }

  private readonly onChange = (): void => {
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.log.trace('file ids changed: diffing')
      // the first call starts providing; later ones diff again
      this.upkeep?.start()
      this.upkeep?.sync()
    }, this.syncDelay)
    this.timer.unref?.()
  }
}

export function provideUpkeep (init: ProvideUpkeepServiceInit): (components: ProvideUpkeepComponents) => ProvideUpkeepService {
  return (components) => new ProvideUpkeepService(components, init)
}
