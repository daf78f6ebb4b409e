import { formatListenAddress, isLoopbackHost } from '../api/address.js'
import { ApiAuth, loadOrCreateToken } from '../api/auth.js'
import { createHttpApi } from '../api/http-api.js'
import { uiMount } from '../api/ui-mount.js'
import { ApiListenError } from './errors.js'
import type { ApiServer } from '../api/server.js'
import type { EventStreams } from '../api/events.js'
import type { CheckedHandler, MethodName } from '../control/methods.js'
import type { NodeConfig } from '../config/load.js'
import type { NodeMetrics } from '../metrics/metrics.js'
import type { NodeEvents } from './events.js'

/** What the daemon's HTTP API serves from. */
export interface HttpApiSources {
  handlers: Record<MethodName, CheckedHandler>
  events: NodeEvents
  metrics: NodeMetrics
}

/**
 * The HTTP API, the web UI and GET /metrics, when configured. The default address is only tried:
 * when it is taken (another node on this machine) the node runs without it, with a warning;
 * a configured address that cannot be used is an ApiListenError.
 */
export async function startHttpApi (config: NodeConfig, from: HttpApiSources, say: (line: string) => void): Promise<{ api?: ApiServer, apiAuth?: ApiAuth, streams?: EventStreams }> {
  if (config.apiListen == null) return {}
  const where = formatListenAddress(config.apiListen)
  if (!isLoopbackHost(config.apiListen.host)) say(`warning: the HTTP API is served on ${where}, reachable from other machines (it needs the token, sent in clear over plain HTTP)`)
  const auth = new ApiAuth(await loadOrCreateToken(config.dataDir, say))
  const { server, streams } = createHttpApi({
    listen: config.apiListen,
    handlers: from.handlers,
    events: from.events,
    auth,
    mount: uiMount,
    metrics: async () => await from.metrics.scrape()
  })
  try {
    await server.start()
    from.metrics.withProcessMetrics()
    return { api: server, apiAuth: auth, streams }
  } catch (err: any) {
    if (config.apiListenConfigured) throw new ApiListenError(`cannot serve the HTTP API on ${where}: ${err.code ?? err.message}`)
    say(`warning: no HTTP API: cannot listen on ${where} (${err.code ?? err.message}); set node.api.listen or --api-listen`)
    return {}
  }
}
