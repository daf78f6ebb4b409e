// Chunk-size case, serving side: fsnode's host and chunk server (no daemon, no index) serving
// each given file under one manifest per chunk size, so the same bytes can be fetched with every
// chunk size. Prints `ready` with the file ids: { files: [{ path, chunkSize, fileId }] }.
import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { tuneHeap } from '../../src/util/heap.js'
import { emit, main, onTerminate } from '../lib/child.js'
import { LISTEN_LOCAL } from '../lib/libp2p-host.js'
import type { SharedFile } from '../../src/share/types.js'
import type { FileSource } from '../../src/transfer/source.js'
import type { CID } from 'multiformats/cid'

// as bin/fsnode.js does, before libp2p is loaded (loading alone grows the young generation)
tuneHeap()
const { generateKeyPair } = await import('@libp2p/crypto/keys')
const { createHost } = await import('../../src/host/create-host.js')
const { Manifest } = await import('../../src/wire/file-manifest.js')
const { chunkServer } = await import('../../src/transfer/server.js')

/** The manifest of `path` cut into `chunkSize` chunks, as the share index would build it. */
async function sharedFile (path: string, chunkSize: number): Promise<SharedFile> {
  const st = await stat(path)
  const chunks = Math.ceil(st.size / chunkSize)
  const hashes = new Uint8Array(chunks * 32)
  const buf = Buffer.allocUnsafe(chunkSize)
  const fh = await open(path, 'r')
  try {
    for (let i = 0; i < chunks; i++) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, i * chunkSize)
      hashes.set(createHash('sha256').update(buf.subarray(0, bytesRead)).digest(), i * 32)
    }
  } finally {
    await fh.close()
  }
  const manifest = Manifest.create(st.size, chunkSize, hashes)
  return { name: path, path, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev, fileId: manifest.fileId, manifest }
}

main(async () => {
  const { values } = parseArgs({ options: { file: { type: 'string', multiple: true }, 'chunk-sizes': { type: 'string' } } })
  const chunkSizes = (values['chunk-sizes'] ?? '').split(',').map(Number)
  if (values.file == null || chunkSizes.some(n => !(n > 0))) throw new Error('usage: --file PATH... --chunk-sizes N,N,...')
  const files = new Map<string, SharedFile>()
  for (const path of values.file) {
    for (const chunkSize of chunkSizes) {
      const f = await sharedFile(path, chunkSize)
      files.set(f.fileId.toString(), f)
    }
  }
  const source: FileSource = {
    getByFileId: (id: CID) => files.get(id.toString()),
    revalidate: () => {}
  }
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [LISTEN_LOCAL], services: { chunkServer: chunkServer({ source }) } })
  onTerminate(async () => { await host.stop() })
  emit('ready', {
    peerId: host.peerId.toString(),
    addrs: host.getMultiaddrs().map(String),
    files: [...files.values()].map(f => ({ path: f.path, chunkSize: f.manifest.chunkSize, fileId: f.fileId.toString() }))
  })
})
