import { createServer, createConnection } from 'node:net'
import { chmod, mkdir, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { logger } from '@libp2p/logger'
import { controlSocketPath, ensureRunDir, inRunDir } from './paths.js'
import { onLines } from './lines.js'
import { CONTROL_IDLE_TIMEOUT, ControlError, toWireError } from './protocol.js'
import type { Server, Socket } from 'node:net'
import type { ControlRequest } from './protocol.js'

const log = logger('fsnode:control')

export interface HandlerContext {
  signal: AbortSignal
  progress: (data: unknown) => void
}

/** Gets the request's params as sent (a method map handler checks them: see checkedHandlers). */
export type Handler = (params: any, ctx: HandlerContext) => Promise<unknown>

export interface ControlServerOptions {
  /** Close a connection that sent no complete request line for this long. @default CONTROL_IDLE_TIMEOUT */
  idleTimeout?: number
}

export class NodeAlreadyRunningError extends Error {
  static readonly code = 'NodeAlreadyRunningError'
  override name = 'NodeAlreadyRunningError'
}

/** The daemon's end of the control channel. */
export class ControlServer {
  readonly path: string
  private server?: Server
  private readonly sockets = new Set<Socket>()
  private readonly idleTimeout: number

  constructor (dataDir: string, private readonly handlers: Record<string, Handler>, options: ControlServerOptions = {}) {
    this.path = controlSocketPath(dataDir)
    this.idleTimeout = options.idleTimeout ?? CONTROL_IDLE_TIMEOUT
  }

  async start (): Promise<void> {
    if (inRunDir(this.path)) {
      await ensureRunDir(true)
    } else {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
      await chmod(dirname(this.path), 0o700)
    }
    if (await isListening(this.path)) {
      throw new NodeAlreadyRunningError(`a node is already running on this data dir (${this.path})`)
    }
    await unlink(this.path).catch(() => {}) // a stale socket from a node that was killed
    const server = createServer(socket => { this.accept(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => { server.off('error', reject); resolve() })
    })
    await chmod(this.path, 0o600)
    this.server = server
  }

  async stop (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => this.server?.close(() => resolve()) ?? resolve())
    await unlink(this.path).catch(() => {})
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    const controller = new AbortController()
    let busy = false
    const send = (obj: unknown): void => {
      if (!socket.destroyed) socket.write(JSON.stringify(obj) + '\n')
    }
    socket.on('close', () => {
      this.sockets.delete(socket)
      controller.abort(new ControlError('the client went away'))
    })
    socket.on('error', () => {})
    // a connection that never completes its request line is closed; once a request runs, it
    // may take as long as it needs (a get of a large file)
    const idle = setTimeout(() => {
      send({ error: { name: 'ControlError', message: `no request within ${this.idleTimeout} ms` } })
      socket.end()
    }, this.idleTimeout)
    idle.unref()
    socket.on('close', () => clearTimeout(idle))
    let extra = 0
    onLines(socket, line => {
      clearTimeout(idle)
      if (busy) {
        // answered once: a client that floods lines and never reads must not grow our buffers
        if (extra++ === 0) send({ error: { name: 'ControlError', message: 'one request per connection' } })
        return
      }
      busy = true
      void this.dispatch(line, controller.signal, send).finally(() => socket.end())
    }, err => {
      clearTimeout(idle)
      send({ error: { name: err.name, message: err.message } })
      socket.end()
    })
  }

  private async dispatch (line: string, signal: AbortSignal, send: (obj: unknown) => void): Promise<void> {
    let req: ControlRequest
    try {
      req = JSON.parse(line)
      if (typeof req !== 'object' || req == null || typeof req.method !== 'string') throw new Error('expected {"method": ...}')
      if (req.params != null && (typeof req.params !== 'object' || Array.isArray(req.params))) throw new Error('params must be an object')
    } catch (err: any) {
      send({ error: { name: 'ControlError', message: `malformed control request: ${err.message}` } })
      return
    }
    const handler = Object.hasOwn(this.handlers, req.method) ? this.handlers[req.method] : undefined
    if (handler == null) {
      send({ error: { name: 'ControlError', message: `unknown control method: ${req.method.slice(0, 64)}` } })
      return
    }
    try {
      const result = await handler(req.params ?? {}, { signal, progress: data => send({ progress: data }) })
      send({ result: result ?? null })
    } catch (err: any) {
      log('control %s failed: %s', req.method, err?.message)
      send({ error: toWireError(err) })
    }
  }
}

/** True when something accepts connections on the socket. */
export async function isListening (path: string): Promise<boolean> {
  return await new Promise(resolve => {
    const s = createConnection(path)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
