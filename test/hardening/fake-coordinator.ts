import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME } from '../../src/wire/constants.js'
import { IndexResponse } from '../../src/wire/index.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { sendLp } from '../../src/wire/framing.js'
import { makeHost } from '../transfer/helpers.js'
import type { Cleanup } from '../transfer/helpers.js'
import type { CID } from 'multiformats/cid'

export interface FakeEntry {
  name: string
  fileId: CID
  size: number
  /** The provider named for it: peer id and addresses. */
  provider: { peerId: string, addrs: string[] }
}

/**
 * A coordinator running modified software: whatever it is asked (list, search, lookup,
 * announce), it answers OK with `entries`, as entries, lookup results and providers. Nothing
 * is validated, so it can list names a real coordinator refuses. With `error`, it answers
 * every request with that ERROR instead. Returns its /p2p/ address.
 */
export async function fakeCoordinator (cleanup: Cleanup, entries: FakeEntry[], error?: { code: string, text: string }): Promise<string> {
  const host = await makeHost(cleanup)
  const providerOf = (e: FakeEntry): any => ({
    peerId: peerIdFromString(e.provider.peerId).toMultihash().bytes,
    addrs: e.provider.addrs.map(a => multiaddr(a).bytes),
    online: true
  })
  const answer = error != null
    ? IndexResponse.encode({ status: IndexResponse.Status.ERROR, code: error.code, error: error.text } as any)
    : IndexResponse.encode({
      status: IndexResponse.Status.OK,
      code: '',
      error: '',
      entries: entries.map(e => ({ name: e.name, fileId: e.fileId.bytes, size: e.size, mtime: 0, peerId: providerOf(e).peerId })),
      nextCursor: '',
      results: entries.map(e => ({ fileId: e.fileId.bytes, name: e.name, size: e.size, providers: [providerOf(e)] })),
      accepted: 0,
      providers: entries.map(providerOf)
    } as any)
  await host.handle(INDEX_PROTOCOL, async (stream) => {
    const reader = new StreamReader(stream)
    while (await reader.readLp(MAX_INDEX_FRAME) != null) await sendLp(stream, answer)
    await stream.close()
  })
  const addr = host.getMultiaddrs().find(a => a.toString().includes('/ip4/127.0.0.1/'))
  if (addr == null) throw new Error('the fake coordinator has no 127.0.0.1 address')
  return addr.toString()
}
