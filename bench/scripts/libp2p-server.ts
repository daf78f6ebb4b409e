// Bare libp2p baseline, sending side: each inbound stream asks for N bytes; the server sends them
// from one reused random block with send()/onDrain backpressure (bounded: see sendBounded), then
// closes its write side.
import { parseArgs } from 'node:util'
import type { Stream, StreamMessageEvent } from '@libp2p/interface'
import { emit, main, onTerminate } from '../lib/child.js'
import { REQUEST_BYTES, decodeRequest, randomBlock } from '../lib/blocks.js'
import { BENCH_PROTOCOL, LISTEN_LOCAL, MAX_BENCH_STREAMS, createBareHost, noiseCryptoArg, sendBounded } from '../lib/libp2p-host.js'

/** The first REQUEST_BYTES bytes of a stream. */
async function readRequest (stream: Stream): Promise<number> {
  return await new Promise((resolve, reject) => {
    const parts: Uint8Array[] = []
    let length = 0
    const onMessage = (evt: StreamMessageEvent): void => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      parts.push(data)
      length += data.byteLength
      if (length >= REQUEST_BYTES) {
        stream.removeEventListener('message', onMessage)
        stream.removeEventListener('close', onClose)
        resolve(decodeRequest(Buffer.concat(parts)))
      }
    }
    const onClose = (): void => reject(new Error('stream closed before the request'))
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', onClose)
  })
}

async function serve (stream: Stream, block: Buffer, highWater?: number): Promise<void> {
  const total = await readRequest(stream)
  let sent = 0
  while (sent < total) {
    const n = Math.min(block.byteLength, total - sent)
    await sendBounded(stream, n === block.byteLength ? block : block.subarray(0, n), highWater)
    sent += n
  }
  await stream.close()
}

// --window, --block, --high-water, --noise: knobs for manual experiments (give the client the same --window)
main(async () => {
  const { values } = parseArgs({ options: { window: { type: 'string' }, block: { type: 'string' }, 'high-water': { type: 'string' }, noise: { type: 'string' } } })
  const node = await createBareHost({ listen: [LISTEN_LOCAL], window: values.window != null ? Number(values.window) : undefined, noiseCrypto: await noiseCryptoArg(values.noise) })
  const block = randomBlock(values.block != null ? Number(values.block) : undefined)
  const highWater = values['high-water'] != null ? Number(values['high-water']) : undefined
  await node.handle(BENCH_PROTOCOL, stream => {
    serve(stream, block, highWater).catch(err => {
      process.stderr.write(`Error: stream failed: ${String(err?.message ?? err)}\n`)
      stream.abort(err)
    })
  }, { maxInboundStreams: MAX_BENCH_STREAMS, maxOutboundStreams: MAX_BENCH_STREAMS })
  onTerminate(async () => { await node.stop() })
  const addr = node.getMultiaddrs().find(a => a.toString().includes('/ip4/127.0.0.1/'))
  if (addr == null) throw new Error('not listening on 127.0.0.1')
  emit('ready', { addr: addr.toString() })
})
