import { MAX_CONTROL_LINE, ControlError } from './protocol.js'
import type { Socket } from 'node:net'

/**
 * Split a socket's input into lines, refusing any line over `max` bytes (MAX_CONTROL_LINE by
 * default). After that error nothing more is read: what follows an oversized line is not a request.
 */
export function onLines (socket: Socket, onLine: (line: string) => void, onError: (err: Error) => void, max = MAX_CONTROL_LINE): void {
  let pending = ''
  let failed = false
  socket.setEncoding('utf8')
  const fail = (): void => {
    pending = ''
    failed = true
    onError(new ControlError(`control message over ${max} bytes`))
  }
  // where the search for the next newline resumes: a big reply (a listing of many MiB) arrives
  // in many pieces, and searching what was already searched each time would be quadratic
  let searched = 0
  socket.on('data', (data: string) => {
    if (failed) return
    pending += data
    let nl: number
    while ((nl = pending.indexOf('\n', searched)) !== -1) {
      // a complete line can be oversized too when its end arrived in the same piece
      if (nl > max) { fail(); return }
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      searched = 0
      if (line.trim() !== '') onLine(line)
    }
    searched = pending.length
    if (pending.length > max) fail()
  })
}
