import { checkedHandlers } from '../control/methods.js'
import { UnsupportedMethodError } from '../control/errors.js'
import type { CheckedHandler, Implementations, MethodName } from '../control/methods.js'
import type { DaemonApi, NodeApi } from './api.js'

/**
 * The methods of the map carried out by a node: the same table serves the control socket and
 * the HTTP API. Params arrive checked against the map's schemas (checkedHandlers).
 */
export function nodeImplementations (node: NodeApi & Partial<DaemonApi>): Implementations {
  const need = <K extends keyof DaemonApi>(name: K): NonNullable<DaemonApi[K]> => {
    const fn = node[name]
    if (typeof fn !== 'function') throw new UnsupportedMethodError(`this node has no ${name}`)
    return (fn as Function).bind(node)
  }
  return {
    status: async (_p, { signal }) => await node.status({ signal }),
    ls: async (p, { signal }) => await node.ls({ path: p.path, signal }),
    search: async (p, { signal }) => await node.search(p.text, { signal }),
    get: async (p, ctx) => await node.get(p.target, { out: p.out, signal: ctx.signal, onProgress: e => ctx.progress(e) }),
    download: async (p, { signal }) => await need('download')(p.target, { out: p.out, signal }),
    downloads: async (_p, { signal }) => await need('downloads')({ signal }),
    cancel: async (p, { signal }) => await need('cancel')(p.id, { signal }),
    shares: async (_p, { signal }) => await need('shares')({ signal }),
    share: async (p, { signal }) => await node.share(p.path, { signal }),
    unshare: async (p, { signal }) => await node.unshare(p.path, { signal }),
    peers: async (_p, { signal }) => await need('peers')({ signal }),
    limits: async (_p, { signal }) => await need('limits')({ signal }),
    limit: async (p, { signal }) => {
      if (node.limit == null) throw new UnsupportedMethodError('this node has no bandwidth limits')
      return await node.limit({ upload: p.upload, download: p.download, perPeer: p.perPeer }, { signal })
    },
    uiLogin: async (_p, { signal }) => await need('uiLogin')({ signal })
  }
}

/** The control socket's methods: the node's, params checked against the method map. */
export function controlHandlers (node: NodeApi & Partial<DaemonApi>): Record<MethodName, CheckedHandler> {
  return checkedHandlers(nodeImplementations(node))
}
