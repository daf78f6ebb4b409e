import { z } from 'zod'
import { MAX_RATE } from '../bandwidth/rate.js'
import { BadParamsError } from './errors.js'
import type {
  BandwidthLimits, Download, GetResult, NetworkFile, PeerInfo, ProgressEvent, ShareChange, ShareEntry, StatusInfo, UiLogin
} from '../node/api.js'

/**
 * The one definition of what can be asked of a node, over the control socket and over HTTP:
 * per method its params (a zod schema: the server's only input check), its result type, the
 * type of its progress events when it streams them, and its HTTP route when it has one. The
 * control client's `call`, the server's checks, RemoteNode, the handlers and the HTTP routes
 * are all typed from this table, so a method cannot be added to one and missed by another.
 */

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface HttpRoute {
  verb: HttpVerb
  /** Under /api/v1; `:name` segments are params. */
  path: string
  /** Success status. @default 200 */
  status?: number
  /** Query string names that differ from the param they fill (`q` → `text`). */
  query?: Record<string, string>
}

export interface MethodDef<P extends z.ZodType = z.ZodType, R = unknown, E = never> {
  params: P
  /** Streams progress events (of type E) before its result. */
  streams: boolean
  http?: HttpRoute
  /** Type carriers only: never read at runtime. */
  readonly _result?: R
  readonly _progress?: E
}

function method<R, E = never> () {
  return <P extends z.ZodType>(def: { params: P, streams?: boolean, http?: HttpRoute }): MethodDef<P, R, E> =>
    ({ params: def.params, streams: def.streams ?? false, http: def.http })
}

const text = (what: string): z.ZodString => z.string({ error: `${what} must be a non-empty string` }).min(1, { error: `${what} must be a non-empty string` })
const rate = (what: string): z.ZodOptional<z.ZodNumber> => z.number({ error: `${what} must be a whole number of bytes per second (0 = none)` })
  .int({ error: `${what} must be a whole number of bytes per second (0 = none)` })
  .min(0, { error: `${what} must be a whole number of bytes per second (0 = none)` })
  .max(MAX_RATE, { error: `${what} must be a whole number of bytes per second (0 = none)` })
  .optional()
const none = z.object({}).strict()

export const methods = {
  status: method<StatusInfo>()({ params: none, http: { verb: 'GET', path: '/status' } }),
  ls: method<NetworkFile[]>()({ params: z.object({ path: text('path').optional() }).strict(), http: { verb: 'GET', path: '/files' } }),
  search: method<NetworkFile[]>()({ params: z.object({ text: text('text') }).strict(), http: { verb: 'GET', path: '/search', query: { q: 'text' } } }),
  /** A get the caller waits for, with progress (the CLI's `fsnode get`). */
  get: method<GetResult, ProgressEvent>()({ params: z.object({ target: text('target'), out: text('out').optional() }).strict(), streams: true }),
  /** A get that runs in the background in the daemon; follow it with `downloads` or /events. */
  download: method<Download>()({ params: z.object({ target: text('target'), out: text('out').optional() }).strict(), http: { verb: 'POST', path: '/downloads', status: 202 } }),
  downloads: method<Download[]>()({ params: none, http: { verb: 'GET', path: '/downloads' } }),
  cancel: method<Download>()({ params: z.object({ id: text('id') }).strict(), http: { verb: 'DELETE', path: '/downloads/:id' } }),
  shares: method<ShareEntry[]>()({ params: none, http: { verb: 'GET', path: '/shares' } }),
  share: method<ShareChange>()({ params: z.object({ path: text('path') }).strict(), http: { verb: 'POST', path: '/shares' } }),
  unshare: method<ShareChange>()({ params: z.object({ path: text('path') }).strict(), http: { verb: 'DELETE', path: '/shares' } }),
  peers: method<PeerInfo[]>()({ params: none, http: { verb: 'GET', path: '/peers' } }),
  limits: method<BandwidthLimits>()({ params: none, http: { verb: 'GET', path: '/limits' } }),
  /** Change the limits given (bytes/s, 0 = none); no params: show them. */
  limit: method<BandwidthLimits>()({ params: z.object({ upload: rate('upload'), download: rate('download'), perPeer: z.object({ upload: rate('perPeer.upload'), download: rate('perPeer.download') }, { error: 'perPeer must be an object { upload?, download? }' }).strict().optional() }).strict(), http: { verb: 'PUT', path: '/limits' } }),
  /** A one-time code for the browser UI (control socket only: whoever can reach it is the user). */
  uiLogin: method<UiLogin>()({ params: none })
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Params<K extends MethodName> = z.output<Methods[K]['params']>
export type ParamsIn<K extends MethodName> = z.input<Methods[K]['params']>
export type Result<K extends MethodName> = NonNullable<Methods[K]['_result']>
export type Progress<K extends MethodName> = NonNullable<Methods[K]['_progress']>

/** The params checked against the method's schema, or a one-line BadParamsError. */
export function checkParams<K extends MethodName> (name: K, raw: unknown): Params<K> {
  if (typeof raw !== 'object' || raw == null || Array.isArray(raw)) throw new BadParamsError(`${name}: params must be an object`)
  const r = methods[name].params.safeParse(raw)
  if (!r.success) throw new BadParamsError(`${name}: ${describe(r.error)}`)
  return r.data as Params<K>
}

/** The first problem, one line: `unknown param x`, `text must be a non-empty string`. */
function describe (error: z.ZodError): string {
  const issue = error.issues[0]
  if (issue == null) return 'invalid params'
  if (issue.code === 'unrecognized_keys') return `unknown param ${String(issue.keys[0]).slice(0, 40)}`
  const path = issue.path.map(String).join('.')
  return path === '' || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`
}

export interface CallContext<E = unknown> {
  signal: AbortSignal
  progress: (event: E) => void
}

/** How a node carries out each method: params already checked. */
export type Implementations = {
  [K in MethodName]: (params: Params<K>, ctx: CallContext<Progress<K>>) => Promise<Result<K>>
}

/** The untyped handler the control server and the HTTP API run: checks params, then calls. */
export type CheckedHandler = (raw: unknown, ctx: CallContext) => Promise<unknown>

export function checkedHandlers (impl: Implementations): Record<MethodName, CheckedHandler> {
  const out: Partial<Record<MethodName, CheckedHandler>> = {}
  for (const name of Object.keys(methods) as MethodName[]) {
    const fn = impl[name] as (p: unknown, ctx: CallContext) => Promise<unknown>
    out[name] = async (raw, ctx) => await fn(checkParams(name, raw), ctx)
  }
  return out as Record<MethodName, CheckedHandler>
}
