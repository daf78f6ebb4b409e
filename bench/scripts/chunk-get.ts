// Chunk-size case, fetching side: fsnode's downloader on a fresh host (no daemon), one file from
// one provider, then its own figures: { seconds, bytes, peakRssMb }.
import { parseArgs } from 'node:util'
import { tuneHeap } from '../../src/util/heap.js'
import { emit, main, ownPeakRssMb } from '../lib/child.js'

// as bin/fsnode.js does, before libp2p is loaded (loading alone grows the young generation)
tuneHeap()
const { generateKeyPair } = await import('@libp2p/crypto/keys')
const { createHost } = await import('../../src/host/create-host.js')
const { download } = await import('../../src/transfer/downloader.js')

main(async () => {
  const { values } = parseArgs({ options: { peer: { type: 'string' }, addr: { type: 'string', multiple: true }, 'file-id': { type: 'string' }, out: { type: 'string' } } })
  if (values.peer == null || values['file-id'] == null || values.out == null) throw new Error('usage: --peer ID --addr MA... --file-id ID --out DIR')
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  try {
    const r = await download({
      node: host,
      fileId: values['file-id'],
      name: 'got.bin',
      providers: [{ peerId: values.peer, addrs: values.addr ?? [] }],
      outDir: values.out
    })
    emit('result', { seconds: r.seconds, bytes: r.size, chunkSize: r.manifest.chunkSize, peakRssMb: ownPeakRssMb() })
  } finally {
    await host.stop()
  }
})
