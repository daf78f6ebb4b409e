import { MAX_CONTROL_LINE, ControlError } from './protocol.js'
import type { Socket } from 'node:net'

/** Split a socket's input into lines, refusing any line over MAX_CONTROL_LINE. */
export function onLines (socket: Socket, onLine: (line: string) => void, onError: (err: Error) => void): void {
  let pending = ''
  socket.setEncoding('utf8')
  socket.on('data', (data: string) => {
    pending += data
    let nl: number
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      if (line.trim() !== '') onLine(line)
    }
    if (pending.length > MAX_CONTROL_LINE) {
      pending = ''
      onError(new ControlError(`control message over ${MAX_CONTROL_LINE} bytes`))
    }
  })
}
