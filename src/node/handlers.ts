import type { Handler } from '../control/server.js'
import type { NodeApi } from './api.js'
import { MAX_RATE } from '../bandwidth/rate.js'

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
    unshare: async p => await node.unshare(requiredString(p.path, 'path')),
    limit: async p => {
      if (node.limit == null) throw new BadParamsError('this node has no bandwidth limits')
      return await node.limit({ upload: optionalRate(p.upload, 'upload'), download: optionalRate(p.download, 'download'), perPeer: optionalPeerRates(p.perPeer) })
    }
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

/** `{ upload?, download? }`, each a rate as optionalRate checks it. */
function optionalPeerRates (v: unknown): { upload?: number, download?: number } | undefined {
  if (v == null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadParamsError('perPeer must be an object { upload?, download? }')
  const o = v as Record<string, unknown>
  const extra = Object.keys(o).find(k => k !== 'upload' && k !== 'download')
  if (extra != null) throw new BadParamsError(`perPeer has no setting ${JSON.stringify(extra).slice(0, 40)} (only upload, download)`)
  return { upload: optionalRate(o.upload, 'perPeer.upload'), download: optionalRate(o.download, 'perPeer.download') }
}

/** Bytes per second as the CLI sends it (it parses RATE text): a whole number, 0 = none. */
function optionalRate (v: unknown, what: string): number | undefined {
  if (v == null) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_RATE) throw new BadParamsError(`${what} must be a whole number of bytes per second (0 = none)`)
  return v
}

function optionalString (v: unknown, what: string): string | undefined {
  if (v == null) return undefined
  return requiredString(v, what)
}
