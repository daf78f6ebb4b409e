import { createServer } from 'node:http'
import { logger } from '@libp2p/logger'
import { API_MAX_HEADER_BYTES, API_REQUEST_TIMEOUT } from './constants.js'
import { formatListenAddress } from './address.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ListenAddress } from './address.js'

const log = logger('fsnode:api')

/** An answer to a GET: the body and its content type. */
export type Route = (req: IncomingMessage) => Promise<{ body: string, contentType: string, status?: number }>

/**
 * The node's small HTTP server: a table of GET routes (`/metrics` for now), nothing else. The
 * full HTTP API is meant to grow here, one route at a time.
 */
export class ApiServer {
  private server?: Server
  private bound?: ListenAddress

  constructor (private readonly listen: ListenAddress, private readonly routes: Record<string, Route>) {}

  /** Where it listens (the real port when 0 was asked for). */
  get address (): ListenAddress | undefined {
    return this.bound
  }

  async start (): Promise<ListenAddress> {
    const server = createServer({ requestTimeout: API_REQUEST_TIMEOUT, maxHeaderSize: API_MAX_HEADER_BYTES }, (req, res) => { void this.handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.listen.port, this.listen.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const a = server.address() as AddressInfo
    this.bound = { host: this.listen.host, port: a.port }
    log('HTTP API on %s', formatListenAddress(this.bound))
    return this.bound
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    const route = Object.hasOwn(this.routes, path) ? this.routes[path] : undefined
    try {
      if (route == null) return send(res, 404, 'not found\n')
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD')
        return send(res, 405, 'method not allowed\n')
      }
      const r = await route(req)
      send(res, r.status ?? 200, r.body, r.contentType, req.method === 'HEAD')
    } catch (err: any) {
      log.error('GET %s failed: %s', path, err.message)
      send(res, 500, 'internal error\n')
    }
  }
}

function send (res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8', head = false): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(head ? undefined : body)
}
