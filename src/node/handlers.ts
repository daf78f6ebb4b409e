import type { Handler } from '../control/server.js'
import type { NodeApi } from './api.js'

/** The control socket's methods: the daemon's NodeApi, with params checked. */
export function controlHandlers (node: NodeApi): Record<string, Handler> {
  return {
    status: async () => await node.status(),
    ls: async p => await node.ls({ path: optionalString(p.path, 'path') }),
    search: async p => await node.search(requiredString(p.text, 'text')),
    get: async (p, ctx) => await node.get(requiredString(p.target, 'target'), {
      out: optionalString(p.out, 'out'),
      signal: ctx.signal,
      onProgress: e => ctx.progress(e)
    }),
    share: async p => await node.share(requiredString(p.path, 'path')),
    unshare: async p => await node.unshare(requiredString(p.path, 'path'))
  }
}

export class BadParamsError extends Error {
  static readonly code = 'BadParamsError'
  override name = 'BadParamsError'
}

function requiredString (v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new BadParamsError(`${what} must be a non-empty string`)
  return v
}

function optionalString (v: unknown, what: string): string | undefined {
  if (v == null) return undefined
  return requiredString(v, what)
}
