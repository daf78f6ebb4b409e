// Raw TCP baseline, sending side: serves each connection the number of bytes it asks for, from
// one reused random block, waiting for 'drain' whenever write() says so.
import { createServer } from 'node:net'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { emit, main, onTerminate } from '../lib/child.js'
import { REQUEST_BYTES, TCP_SEND_BLOCK, decodeRequest, randomBlock } from '../lib/blocks.js'

const HOST = '127.0.0.1'

async function serve (socket: Socket, block: Buffer): Promise<void> {
  let request = Buffer.alloc(0)
  while (request.byteLength < REQUEST_BYTES) {
    const [chunk] = await once(socket, 'data') as [Buffer]
    request = Buffer.concat([request, chunk])
  }
  const total = decodeRequest(request)
  let sent = 0
  while (sent < total) {
    const n = Math.min(block.byteLength, total - sent)
    const ok = socket.write(n === block.byteLength ? block : block.subarray(0, n))
    sent += n
    if (!ok) await once(socket, 'drain')
  }
  socket.end()
}

main(async () => {
  const block = randomBlock(TCP_SEND_BLOCK)
  const server = createServer(socket => {
    socket.on('error', () => {})
    serve(socket, block).catch(err => { socket.destroy(err) })
  })
  server.listen(0, HOST)
  await once(server, 'listening')
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('no TCP port')
  onTerminate(async () => { server.close() })
  emit('ready', { host: HOST, port: address.port })
})
