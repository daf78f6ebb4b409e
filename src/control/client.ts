import { createConnection } from 'node:net'
import { controlSocketPath, ensureRunDir, inRunDir, UnsafeRunDirError } from './paths.js'
import { onLines } from './lines.js'
import { CONTROL_CONNECT_TIMEOUT, ControlError, MAX_CONTROL_REPLY, RemoteError } from './protocol.js'
import type { Socket } from 'node:net'
import type { ControlReply } from './protocol.js'
import type { MethodName, ParamsIn, Progress, Result } from './methods.js'

export interface CallOptions<E = any> {
  signal?: AbortSignal
  onProgress?: (data: E) => void
}

/** Params may be left out when the method needs none. */
type CallArgs<K extends MethodName> = {} extends ParamsIn<K>
  ? [params?: ParamsIn<K>, options?: CallOptions<Progress<K>>]
  : [params: ParamsIn<K>, options?: CallOptions<Progress<K>>]

/** The CLI's end: finds the node running on a data dir, if there is one. */
export class ControlClient {
  constructor (readonly path: string) {}

  static forDataDir (dataDir: string): ControlClient {
    return new ControlClient(controlSocketPath(dataDir))
  }

  /** True when a node answers on this data dir's socket. */
  async available (): Promise<boolean> {
    try {
      const s = await this.connect()
      s.destroy()
      return true
    } catch (err) {
      if (err instanceof UnsafeRunDirError) throw err // said once, rather than a node of our own
      return false
    }
  }

  private async connect (): Promise<Socket> {
    // a socket in a run folder that is not ours alone may be someone else's, posing as the node
    if (inRunDir(this.path)) await ensureRunDir(false)
    return await new Promise((resolve, reject) => {
      const s = createConnection(this.path)
      const timer = setTimeout(() => { s.destroy(); reject(new ControlError('the node did not answer on its control socket')) }, CONTROL_CONNECT_TIMEOUT)
      s.once('connect', () => { clearTimeout(timer); resolve(s) })
      s.once('error', err => { clearTimeout(timer); reject(err) })
    })
  }

  /** One method of the map, typed by it; resolves with its result. Aborting the signal cancels
   * it in the node. A daemon's error comes back as a RemoteError with the same name, message
   * and exit code. */
  async call<K extends MethodName> (method: K, ...args: CallArgs<K>): Promise<Result<K>> {
    const [params, options] = args
    return await this.callUnchecked(method, params ?? {}, options ?? {})
  }

  /** Any method name and params, unchecked here (the node checks them): for tests and tools. */
  async callUnchecked<T = any> (method: string, params: unknown = {}, options: CallOptions = {}): Promise<T> {
    const socket = await this.connect()
    return await new Promise<T>((resolve, reject) => {
      let settled = false
      const finish = (err?: Error, value?: T): void => {
        if (settled) return
        settled = true
        options.signal?.removeEventListener('abort', onAbort)
        socket.destroy()
        if (err != null) reject(err)
        else resolve(value as T)
      }
      const onAbort = (): void => finish(options.signal?.reason ?? new ControlError('cancelled'))
      options.signal?.addEventListener('abort', onAbort, { once: true })
      onLines(socket, line => {
        let reply: ControlReply
        try { reply = JSON.parse(line) } catch { finish(new ControlError('the node sent a malformed reply')); return }
        if ('progress' in reply) options.onProgress?.(reply.progress)
        else if ('result' in reply) finish(undefined, reply.result as T)
        else if ('error' in reply) finish(new RemoteError(reply.error.name, reply.error.message, reply.error.exitCode))
      }, err => finish(err), MAX_CONTROL_REPLY)
      socket.on('error', err => finish(new ControlError(`control socket: ${err.message}`)))
      socket.on('close', () => finish(new ControlError('the node closed the control connection without an answer')))
      socket.write(JSON.stringify({ method, params }) + '\n')
    })
  }
}
