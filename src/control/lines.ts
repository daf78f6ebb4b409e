import { MAX_CONTROL_LINE, ControlError } from './protocol.js'
import type { Socket } from 'node:net'

/**
 * Split a socket's input into lines, refusing any line over MAX_CONTROL_LINE. After that
 * error nothing more is read: what follows an oversized line is not a request.
 */
export function onLines (socket: Socket, onLine: (line: string) => void, onError: (err: Error) => void): void {
  let pending = ''
  let failed = false
  socket.setEncoding('utf8')
  const fail = (): void => {
    pending = ''
    failed = true
    onError(new ControlError(`control message over ${MAX_CONTROL_LINE} bytes`))
  }
  socket.on('data', (data: string) => {
    if (failed) return
    pending += data
    let nl: number
    while ((nl = pending.indexOf('\n')) !== -1) {
      // a complete line can be oversized too when its end arrived in the same piece
      if (nl > MAX_CONTROL_LINE) { fail(); return }
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      if (line.trim() !== '') onLine(line)
    }
    if (pending.length > MAX_CONTROL_LINE) fail()
  })
}
