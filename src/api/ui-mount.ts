import { uiRoute } from '../ui/assets.js'
import type { Handler } from './server.js'

/**
 * Path prefixes the HTTP server hands to other code, served without auth (the web UI's static
 * files hold no data; its data comes from /api/v1 with the session cookie). The Host check
 * still applies, and GET /ui/login (an exact path) is answered before any prefix.
 * The web UI mounts itself here with one line: `'/ui/': serveUi`.
 */
export const uiMount: Record<string, Handler> = { '/ui/': uiRoute }
