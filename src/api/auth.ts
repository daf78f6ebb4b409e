import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import { lstat, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { constants as fsConstants } from 'node:fs'
import { logger } from '@libp2p/logger'
import {
  API_SECRET_BYTES, API_TOKEN_FILE, LOGIN_CODE_TTL_MS, MAX_LOGIN_CODES, MAX_SESSIONS, SESSION_COOKIE, SESSION_TTL_MS
} from './constants.js'
import { ApiTokenError, ForbiddenError, UnauthorizedError } from './errors.js'
import type { IncomingMessage } from 'node:http'

const log = logger('fsnode:api:auth')

export function tokenFilePath (dataDir: string): string {
  return join(dataDir, API_TOKEN_FILE)
}

/**
 * The API token in `<dataDir>/api-token`, made at first start (mode 0600, 32 random bytes,
 * base64url). A file others could read (group/other bits), or that is not our own regular
 * file (a link, a folder), is not trusted: it is replaced by a new token (the old one stops
 * working) and `warn` says so.
 */
export async function loadOrCreateToken (dataDir: string, warn: (line: string) => void = () => {}): Promise<string> {
  const path = tokenFilePath(dataDir)
  let st
  try {
    st = await lstat(path)
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new ApiTokenError(`cannot read the API token ${path}: ${err.code ?? err.message}`)
  }
  if (st != null) {
    const uid = process.getuid?.()
    const why = !st.isFile()
      ? 'it is not a regular file'
      : uid != null && st.uid !== uid
        ? `it belongs to uid ${st.uid}`
        : (st.mode & 0o077) !== 0 ? `its mode is 0${(st.mode & 0o777).toString(8)}, readable by others` : undefined
    if (why == null) {
      const token = (await readFile(path, 'utf8')).trim()
      if (/^[A-Za-z0-9_-]{32,}$/.test(token)) return token
      warn(`warning: the API token file ${path} holds no valid token; made a new one`)
    } else {
      warn(`warning: ${path}: ${why}; made a new token (mode 0600), the old one no longer works`)
    }
    await unlink(path).catch((err: any) => { throw new ApiTokenError(`cannot replace the API token ${path}: ${err.code ?? err.message}`) })
  }
  const token = randomBytes(API_SECRET_BYTES).toString('base64url')
  // O_EXCL|O_NOFOLLOW: never write through something another process put there meanwhile
  const fh = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600)
    .catch((err: any) => { throw new ApiTokenError(`cannot write the API token ${path}: ${err.code ?? err.message}`) })
  try {
    await fh.writeFile(token + '\n')
  } finally {
    await fh.close()
  }
  log('new API token in %s', path)
  return token
}

/** Constant-time comparison of secrets of any length (hashed first, so lengths leak nothing). */
function same (a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s).digest()
  return timingSafeEqual(h(a), h(b))
}

export type Credential = 'token' | 'cookie'

/**
 * Who may use the API: the bearer token, or a browser session cookie got from a one-time
 * login code; the Host header (DNS rebinding) and, for a state-changing request made with the
 * cookie, the Origin header (CSRF) are checked here too.
 */
export class ApiAuth {
  private readonly codes = new Map<string, number>()
  private readonly sessions = new Map<string, number>()
  constructor (private readonly token: string) {}

  /** Our own origin as the browser sends it (the Host header is checked by the server). */
  origin (req: IncomingMessage): string {
    return `http://${String(req.headers.host ?? '').toLowerCase()}`
  }

  /** Throws 401/403, or tells which credential let the request in. */
  check (req: IncomingMessage): Credential {
    const auth = req.headers.authorization
    if (auth != null) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
      if (m == null || !same(m[1], this.token)) throw new UnauthorizedError('wrong API token')
      return 'token'
    }
    const session = cookie(req, SESSION_COOKIE)
    if (session == null) throw new UnauthorizedError('an API token (Authorization: Bearer, from the api-token file) or a session from fsnode ui is needed')
    const expires = this.sessions.get(session)
    if (expires == null || expires < Date.now()) {
      this.sessions.delete(session)
      throw new UnauthorizedError('session expired or unknown; run fsnode ui again')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // a cookie goes along with a request another site's page makes: only our own pages may change things
      if (req.headers.origin !== this.origin(req)) throw new ForbiddenError('cross-origin request refused')
    }
    return 'cookie'
  }

  /** A login code for `fsnode ui`: works once, within LOGIN_CODE_TTL_MS. */
  newLoginCode (): { code: string, expiresAt: number } {
    this.prune()
    while (this.codes.size >= MAX_LOGIN_CODES) this.codes.delete(this.codes.keys().next().value as string)
    const code = randomBytes(API_SECRET_BYTES).toString('base64url')
    const expiresAt = Date.now() + LOGIN_CODE_TTL_MS
    this.codes.set(code, expiresAt)
    return { code, expiresAt }
  }

  /** Trade a login code for a session id (the cookie's value); the code is spent either way. */
  login (code: string): string {
    let expires: number | undefined
    for (const [c, e] of this.codes) {
      if (same(c, code)) { expires = e; this.codes.delete(c); break }
    }
    if (expires == null || expires < Date.now()) throw new UnauthorizedError('login code unknown, used or expired; run fsnode ui again')
    this.prune()
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string)
    const session = randomBytes(API_SECRET_BYTES).toString('base64url')
    this.sessions.set(session, Date.now() + SESSION_TTL_MS)
    return session
  }

  private prune (): void {
    const now = Date.now()
    for (const [c, e] of this.codes) if (e < now) this.codes.delete(c)
    for (const [s, e] of this.sessions) if (e < now) this.sessions.delete(s)
  }
}

export function sessionCookie (session: string): string {
  return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`
}

function cookie (req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (header == null) return undefined
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i !== -1 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}
