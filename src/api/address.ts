import { isIP } from 'node:net'
import { InvalidListenAddressError } from './errors.js'

export interface ListenAddress {
  host: string
  port: number
}

/** `127.0.0.1:7880`, `[::1]:0`, `localhost:7880` (port 0: any free port). */
export function parseListenAddress (text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) throw new InvalidListenAddressError(`not HOST:PORT: ${JSON.stringify(text).slice(0, 60)} (e.g. 127.0.0.1:7880, [::1]:7880; port 0 = any free port)`)
  const host = m[1] ?? m[2]
  if (m[1] != null && isIP(host) !== 6) throw new InvalidListenAddressError(`not an IPv6 address: ${host}`)
  return { host, port }
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function formatListenAddress (a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
