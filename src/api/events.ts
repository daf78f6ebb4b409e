import { logger } from '@libp2p/logger'
import { EVENT_PING_MS, MAX_EVENT_BUFFER_BYTES, MAX_EVENT_CLIENTS } from './constants.js'
import { TooManyClientsError } from './errors.js'
import type { ServerResponse } from 'node:http'
import type { NodeEventName, NodeEvents } from '../node/events.js'

const log = logger('fsnode:api:events')

const EVENTS: NodeEventName[] = ['download', 'shares', 'peers', 'limits']

export interface EventStreamOptions {
  maxClients?: number
  maxBufferBytes?: number
  pingMs?: number
}

/**
 * GET /events: the node's events as server-sent events. Each stream is bounded: when what it
 * has not yet sent passes maxBufferBytes (a client that does not read), it is dropped rather
 * than let it hold the node's memory. A `: ping` comment keeps proxies from closing it.
 */
export class EventStreams {
  private readonly clients = new Set<ServerResponse>()
  private readonly maxClients: number
  private readonly maxBuffer: number
  private readonly pingMs: number
  dropped = 0

  constructor (private readonly events: NodeEvents, options: EventStreamOptions = {}) {
    this.maxClients = options.maxClients ?? MAX_EVENT_CLIENTS
    this.maxBuffer = options.maxBufferBytes ?? MAX_EVENT_BUFFER_BYTES
    this.pingMs = options.pingMs ?? EVENT_PING_MS
  }

  get size (): number {
    return this.clients.size
  }

  open (res: ServerResponse): void {
    if (this.clients.size >= this.maxClients) throw new TooManyClientsError(`${this.clients.size} event streams are open (at most ${this.maxClients})`)
    this.clients.add(res)
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
    res.flushHeaders()
    const write = (text: string): void => {
      if (res.destroyed) return
      res.write(text)
      if (res.writableLength > this.maxBuffer) {
        log('dropping an event stream that does not read (%d bytes queued)', res.writableLength)
        this.dropped++
        res.destroy()
      }
    }
    const offs = EVENTS.map(name => this.events.on(name, data => write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)))
    const ping = setInterval(() => write(': ping\n\n'), this.pingMs)
    write(': connected\n\n')
    res.on('close', () => {
      clearInterval(ping)
      for (const off of offs) off()
      this.clients.delete(res)
    })
  }

  close (): void {
    for (const res of this.clients) res.destroy()
  }
}
