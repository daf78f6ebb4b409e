import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { CONTENT_TYPES, UI_HEADERS, UI_PREFIX } from './constants.js'
import { NotFoundError } from '../api/errors.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

const log = logger('fsnode:ui')

/**
 * The page's own files: src/ui/public in a checkout and in the installed package (package.json
 * `files` lists it), found from the package's own root (a self-reference, so it holds for this
 * module as compiled and inside the CLI's bundle) and never from the cwd.
 */
export const PUBLIC_DIR = fileURLToPath(new URL('src/ui/public/', import.meta.resolve('fsnode/package.json')))

const PAGE_FILES = ['app.js', 'api.js', 'html.js', 'format.js', 'listing.js', 'files.js', 'downloads.js', 'shares.js', 'node.js', 'style.css']

/** preact and htm, from node_modules (wherever npm put them), as plain ES modules. */
const VENDOR: Record<string, string> = {
  'vendor/preact.js': 'preact',
  'vendor/hooks.js': 'preact/hooks',
  'vendor/htm.js': 'htm'
}

/** URL path → file on disk. Only these are served: nothing built from the request's path. */
function table (): Map<string, string> {
  const files = new Map<string, string>()
  files.set(UI_PREFIX, PUBLIC_DIR + 'index.html')
  for (const f of PAGE_FILES) files.set(UI_PREFIX + f, PUBLIC_DIR + f)
  for (const [path, specifier] of Object.entries(VENDOR)) files.set(UI_PREFIX + path, fileURLToPath(import.meta.resolve(specifier)))
  return files
}

let FILES: Map<string, string> | undefined

/** The URL paths the UI serves (for tests and the server's route list). */
export function uiPaths (): string[] {
  FILES ??= table()
  return [...FILES.keys()]
}

/** The file on disk behind a UI path, if it is one. */
export function uiFile (path: string): string | undefined {
  FILES ??= table()
  return FILES.get(path)
}

/**
 * Serves a UI file when `req` asks for one (GET or HEAD of a path in the fixed list), with its
 * content type and a strict Content-Security-Policy. Returns false for every other request
 * (`/ui/login`, `/api/...`, unknown paths) so the caller answers those.
 */
export async function serveUi (req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0]
  if (path === UI_PREFIX.slice(0, -1)) {
    res.writeHead(308, { location: UI_PREFIX, 'content-length': 0 })
    res.end()
    return true
  }
  FILES ??= table()
  const file = FILES.get(path)
  if (file == null) return false
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
    res.end('method not allowed\n')
    return true
  }
  let body: Buffer
  try {
    body = await load(file)
  } catch (err: any) {
    log.error('UI file %s unreadable: %s', file, err.message)
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('internal error\n')
    return true
  }
  res.writeHead(200, { ...UI_HEADERS, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length })
  res.end(req.method === 'HEAD' ? undefined : body)
  return true
}

/** The API server's handler for paths under /ui/ (mounted next to /api/v1/): unknown paths are
 * the server's JSON 404. `/ui/login` is an exact route of the API and never reaches here. */
export async function uiRoute (req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!await serveUi(req, res)) throw new NotFoundError(`no such UI file: ${(req.url ?? '').split('?')[0].slice(0, 100)}`)
}

/** A file's bytes; preact's hooks import 'preact' by its bare name, which a browser cannot
 * resolve without an import map (inline script, which the CSP forbids): point it at our copy. */
async function load (file: string): Promise<Buffer> {
  const body = await readFile(file)
  if (file !== FILES?.get(UI_PREFIX + 'vendor/hooks.js')) return body
  return Buffer.from(body.toString('utf8').replace(/from\s*(["'])preact\1/g, 'from"./preact.js"'))
}
