// Raw TCP baseline, receiving side: asks the server for N bytes, counts them until 'end'.
import { connect } from 'node:net'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { emit, main, numberArg, ownPeakRssMb } from '../lib/child.js'
import { encodeRequest } from '../lib/blocks.js'
import { now } from '../lib/time.js'

main(async () => {
  const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' }, bytes: { type: 'string' } } })
  const port = numberArg(values.port, 'port')
  const bytes = numberArg(values.bytes, 'bytes')
  const start = now()
  const socket = connect({ host: values.host ?? '127.0.0.1', port })
  await once(socket, 'connect')
  const connected = now()
  let received = 0
  socket.on('data', (chunk: Buffer) => { received += chunk.byteLength })
  const ended = once(socket, 'end')
  socket.write(encodeRequest(bytes))
  await ended
  const done = now()
  socket.destroy()
  if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`)
  emit('result', {
    bytes: received,
    seconds: (done - connected) / 1000,
    connectMs: connected - start,
    peakRssMb: ownPeakRssMb()
  })
})
