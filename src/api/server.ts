import { createRequire } from 'node:module'
import { logger } from '@libp2p/logger'
import { API_MAX_HEADER_BYTES, API_REQUEST_TIMEOUT } from './constants.js'
import { formatListenAddress } from './address.js'
import { ForbiddenError, MethodNotAllowedError, NotFoundError, statusOf } from './errors.js'
import type * as http from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ListenAddress } from './address.js'

const log = logger('fsnode:api')

// node:http through require(): an ES import of it makes a facade of all its exports, whose lazy
// getters load undici (fetch, WebSocket), 0.05 CPU-s of every node's start for nothing
const { createServer } = createRequire(import.meta.url)('node:http') as typeof http

/** A request handler; the URL is parsed (path and query). Throwing an HttpError answers with
 * its status as a JSON error. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void

/** An answer to a GET: the body and its content type. */
export type Route = (req: IncomingMessage) => Promise<{ body: string, contentType: string, status?: number }>

export interface ApiServerRoutes {
  /** Exact paths: `/metrics`, `/ui/login`. */
  exact?: Record<string, Handler>
  /** Path prefixes ending in `/`: `/api/v1/`, `/ui/`; the longest match wins, after exact paths. */
  prefix?: Record<string, Handler>
}

/**
 * The node's HTTP server: a table of exact paths and path prefixes. Every request's Host header
 * must be this server's own address (by a loopback name, or the configured host): a page on
 * another site that rebinds its DNS name to 127.0.0.1 reaches nothing.
 */
export class ApiServer {
  private server?: Server
  private bound?: ListenAddress
  private readonly prefixes: Array<[string, Handler]>

  constructor (private readonly listen: ListenAddress, private readonly routes: ApiServerRoutes) {
    this.prefixes = Object.entries(routes.prefix ?? {}).sort((a, b) => b[0].length - a[0].length)
  }

  /** Where it listens (the real port when 0 was asked for). */
  get address (): ListenAddress | undefined {
    return this.bound
  }

  get url (): string | undefined {
    return this.bound == null ? undefined : `http://${formatListenAddress(this.bound)}`
  }

  async start (): Promise<ListenAddress> {
    const server = createServer({ requestTimeout: API_REQUEST_TIMEOUT, headersTimeout: API_REQUEST_TIMEOUT, maxHeaderSize: API_MAX_HEADER_BYTES }, (req, res) => { void this.handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.listen.port, this.listen.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const a = server.address() as AddressInfo
    this.bound = { host: this.listen.host, port: a.port }
    log('HTTP on %s', formatListenAddress(this.bound))
    return this.bound
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }

  /** The Host values this server answers to. */
  allowedHosts (): Set<string> {
    const port = this.bound?.port ?? this.listen.port
    return new Set(['127.0.0.1', 'localhost', '::1', this.listen.host].map(h => formatListenAddress({ host: h, port }).toLowerCase()))
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://x')
    } catch {
      sendError(res, new NotFoundError('not a path'))
      return
    }
    try {
      const host = req.headers.host
      if (host == null || !this.allowedHosts().has(host.toLowerCase())) throw new ForbiddenError('the Host header is not this node\'s address')
      const path = url.pathname
      const exact = this.routes.exact != null && Object.hasOwn(this.routes.exact, path) ? this.routes.exact[path] : undefined
      const handler = exact ?? this.prefixes.find(([p]) => path.startsWith(p))?.[1]
      if (handler == null) throw new NotFoundError(`no such path: ${path.slice(0, 100)}`)
      await handler(req, res, url)
    } catch (err: any) {
      if (statusOf(err) === 500) log.error('%s %s failed: %s', req.method, url.pathname, err?.message)
      sendError(res, err)
    }
  }
}

/** A GET (and HEAD) route answering with a body: /metrics. */
export function getRoute (route: Route): Handler {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError('only GET here', ['GET', 'HEAD'])
    const r = await route(req)
    send(res, r.status ?? 200, r.body, r.contentType, req.method === 'HEAD')
  }
}

export function send (res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8', head = false, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return }
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
  res.end(head ? undefined : body)
}

export function sendJson (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(value ?? null), 'application/json; charset=utf-8', false, headers)
}

/** `{ error: { code, message } }` with the error's status; the message is one line. */
export function sendError (res: ServerResponse, err: any): void {
  const status = statusOf(err)
  const message = status === 500 && err?.name == null ? 'internal error' : String(err?.message ?? err).split('\n')[0].slice(0, 500)
  const headers: Record<string, string> = err instanceof MethodNotAllowedError ? { allow: err.allow.join(', ') } : {}
  // after an error the rest of a body is not read: close rather than leave it in the pipe
  if (!req(res).complete) headers.connection = 'close'
  sendJson(res, status, { error: { code: typeof err?.name === 'string' ? err.name : 'Error', message } }, headers)
}

function req (res: ServerResponse): IncomingMessage {
  return res.req
}
