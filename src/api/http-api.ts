import { API_CALL_TIMEOUT, API_PREFIX } from './constants.js'
import { ApiServer, getRoute, sendJson } from './server.js'
import { readJson } from './body.js'
import { EventStreams } from './events.js'
import { sessionCookie } from './auth.js'
import { ApiTimeoutError, MethodNotAllowedError, NotFoundError, UnauthorizedError } from './errors.js'
import { methods } from '../control/methods.js'
import { BadParamsError } from '../control/errors.js'
import type { Handler } from './server.js'
import type { ApiAuth } from './auth.js'
import type { ListenAddress } from './address.js'
import type { CheckedHandler, HttpVerb, MethodName } from '../control/methods.js'
import type { NodeEvents } from '../node/events.js'
import type { IncomingMessage } from 'node:http'

export interface HttpApiInit {
  listen: ListenAddress
  /** The method map's handlers (the same as the control socket's: params checked there). */
  handlers: Record<MethodName, CheckedHandler>
  events: NodeEvents
  auth: ApiAuth
  /** GET /metrics, unauthenticated (Prometheus). */
  metrics?: () => Promise<{ body: string, contentType: string }>
  /** More path prefixes, e.g. the web UI's static files: `{ '/ui/': serveUi }`. */
  mount?: Record<string, Handler>
  callTimeoutMs?: number
}

interface CompiledRoute {
  verb: HttpVerb
  method: MethodName
  pattern: RegExp
  names: string[]
  status: number
  query: Record<string, string>
}

/** The method map's HTTP routes as patterns: `/downloads/:id` → /^\/downloads\/([^/]+)$/. */
function compileRoutes (): CompiledRoute[] {
  const out: CompiledRoute[] = []
  for (const [method, def] of Object.entries(methods) as Array<[MethodName, typeof methods[MethodName]]>) {
    if (def.http == null) continue
    const names: string[] = []
    const source = def.http.path.split('/').map(seg => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      names.push(seg.slice(1))
      return '([^/]+)'
    }).join('/')
    out.push({ verb: def.http.verb, method, pattern: new RegExp(`^${source}$`), names, status: def.http.status ?? 200, query: def.http.query ?? {} })
  }
  return out
}

/** The keys a method's params may have (a query string's other keys, e.g. a cache buster, are ignored). */
function paramKeys (method: MethodName): Set<string> {
  const shape = (methods[method].params as any).shape
  return new Set(shape == null ? [] : Object.keys(shape))
}

/**
 * The HTTP API of the contract (docs: README "HTTP API"): every route of the method map under
 * /api/v1, GET /api/v1/events, GET /ui/login, GET /metrics, and what is mounted (the UI).
 */
export function createHttpApi (init: HttpApiInit): { server: ApiServer, streams: EventStreams } {
  const routes = compileRoutes()
  const streams = new EventStreams(init.events)
  const timeout = init.callTimeoutMs ?? API_CALL_TIMEOUT

  const api: Handler = async (req, res, url) => {
    const path = url.pathname.slice(API_PREFIX.length)
    init.auth.check(req)
    if (path === '/events') {
      if (req.method !== 'GET') throw new MethodNotAllowedError('only GET here', ['GET'])
      streams.open(res)
      return
    }
    const matching = routes.filter(r => r.pattern.test(path))
    if (matching.length === 0) throw new NotFoundError(`no such API path: ${path.slice(0, 100)}`)
    const route = matching.find(r => r.verb === req.method)
    if (route == null) throw new MethodNotAllowedError(`${String(req.method)} is not allowed here`, matching.map(r => r.verb))
    const params = await paramsOf(req, url, route)
    const controller = new AbortController()
    res.on('close', () => { if (!res.writableFinished) controller.abort(new Error('the client went away')) })
    const timer = setTimeout(() => controller.abort(new ApiTimeoutError(`no answer within ${timeout} ms`)), timeout)
    try {
      const call = init.handlers[route.method](params, { signal: controller.signal, progress: () => {} })
      // a handler that does not heed its signal still gets answered for
      const aborted = new Promise<never>((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }))
      aborted.catch(() => {})
      sendJson(res, route.status, await Promise.race([call, aborted]))
    } finally {
      clearTimeout(timer)
    }
  }

  const login: Handler = async (req, res, url) => {
    if (req.method !== 'GET') throw new MethodNotAllowedError('only GET here', ['GET'])
    const code = url.searchParams.get('code')
    if (code == null || code === '') throw new UnauthorizedError('no login code; run fsnode ui')
    const session = init.auth.login(code)
    res.writeHead(303, { location: '/ui/', 'set-cookie': sessionCookie(session), 'cache-control': 'no-store', 'content-length': 0 })
    res.end()
  }

  // the address alone, or /ui without its slash, is where a person typing it expects the UI
  const toUi: Handler = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError('only GET here', ['GET', 'HEAD'])
    res.writeHead(308, { location: '/ui/', 'cache-control': 'no-store', 'content-length': 0 })
    res.end()
  }
  const exact: Record<string, Handler> = { '/ui/login': login, '/': toUi, '/ui': toUi }
  if (init.metrics != null) exact['/metrics'] = getRoute(init.metrics)
  const server = new ApiServer(init.listen, {
    exact,
    prefix: { [`${API_PREFIX}/`]: api, ...(init.mount ?? {}) }
  })
  return { server, streams }
}

/** Path params, then the query string (GET, DELETE), then the JSON body (POST, PUT, DELETE). */
async function paramsOf (req: IncomingMessage, url: URL, route: CompiledRoute): Promise<Record<string, unknown>> {
  const keys = paramKeys(route.method)
  const params: Record<string, unknown> = {}
  for (const [k, v] of url.searchParams) {
    const key = route.query[k] ?? k
    if (keys.has(key) && !route.names.includes(key)) params[key] = v
  }
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE') {
    const body = await readJson(req)
    if (typeof body !== 'object' || body == null || Array.isArray(body)) throw new BadParamsError(`${route.method}: the body must be a JSON object`)
    Object.assign(params, body)
  }
  const m = route.pattern.exec(new URL(req.url ?? '/', 'http://x').pathname.slice(API_PREFIX.length))
  route.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(m?.[i + 1] ?? '')
    } catch {
      throw new BadParamsError(`${route.method}: ${name} is not a valid path segment`)
    }
  })
  return params
}
