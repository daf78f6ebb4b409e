// Bare libp2p baseline, receiving side: one connection, S streams each asking for bytes/S; a
// `message` listener counts bytes until `end`. Every stream must deliver exactly what it asked for.
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { emit, main, numberArg, ownPeakRssMb } from '../lib/child.js'
import { encodeRequest } from '../lib/blocks.js'
import { BENCH_PROTOCOL, MAX_BENCH_STREAMS, createBareHost, noiseCryptoArg } from '../lib/libp2p-host.js'
import { now } from '../lib/time.js'

async function receive (connection: Connection, bytes: number): Promise<void> {
  const stream: Stream = await connection.newStream(BENCH_PROTOCOL, { maxOutboundStreams: MAX_BENCH_STREAMS })
  let received = 0
  const done = new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (evt: StreamMessageEvent) => { received += evt.data.byteLength })
    stream.addEventListener('end', () => resolve())
    stream.addEventListener('close', (evt: StreamCloseEvent) => {
      if (evt.error != null) reject(evt.error)
      else resolve()
    })
  })
  stream.send(encodeRequest(bytes))
  await done
  await stream.close()
  if (received !== bytes) throw new Error(`a stream delivered ${received} of ${bytes} bytes`)
}

main(async () => {
  const { values } = parseArgs({ options: { addr: { type: 'string' }, bytes: { type: 'string' }, streams: { type: 'string' }, window: { type: 'string' }, noise: { type: 'string' } } })
  if (values.addr == null) throw new Error('--addr is required')
  const bytes = numberArg(values.bytes, 'bytes')
  const streams = numberArg(values.streams ?? '1', 'streams')
  const node = await createBareHost({ window: values.window != null ? Number(values.window) : undefined, noiseCrypto: await noiseCryptoArg(values.noise) })
  const start = now()
  const connection = await node.dial(multiaddr(values.addr))
  const connected = now()
  const rssConnectedMb = process.memoryUsage().rss / 1_000_000
  const perStream = Math.floor(bytes / streams)
  const sizes = Array.from({ length: streams }, (_, i) => i === streams - 1 ? bytes - perStream * (streams - 1) : perStream)
  await Promise.all(sizes.map(async n => await receive(connection, n)))
  const done = now()
  await node.stop()
  emit('result', {
    bytes,
    streams,
    seconds: (done - connected) / 1000,
    connectMs: connected - start,
    rssConnectedMb,
    peakRssMb: ownPeakRssMb()
  })
})
