import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { ChunkRequest, ChunkResponse } from '../../src/wire/chunk.js'
import { lpEncode } from '../../src/wire/framing.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { CHUNK_PROTOCOL, MAX_CHUNK_RESPONSE_HEADER } from '../../src/wire/constants.js'
import type { Host } from '../../src/host/create-host.js'
import type { CID } from 'multiformats/cid'

export interface Answer {
  status: ChunkResponse.Status
  /** The body as sent: chunk bytes or manifest. */
  body: Buffer
}

/** One chunk-protocol request from `client` to the provider at `addr`, on a stream of its own. */
export async function ask (client: Host, addr: string, fileId: CID, type = ChunkRequest.Type.CHUNK, index = 0): Promise<Answer> {
  const signal = AbortSignal.timeout(10_000)
  const stream = await client.dialProtocol(multiaddr(addr), CHUNK_PROTOCOL, { signal })
  const reader = new StreamReader(stream)
  try {
    stream.send(lpEncode(ChunkRequest.encode({ type, fileId: fileId.bytes as Uint8Array<ArrayBuffer>, index })))
    const frame = await reader.readLp(MAX_CHUNK_RESPONSE_HEADER, signal)
    assert.ok(frame != null, 'a response')
    const res = ChunkResponse.decode(frame)
    const body = res.length > 0 ? Buffer.from((await reader.readExact(res.length, signal)).subarray()) : Buffer.alloc(0)
    return { status: res.status, body }
  } finally {
    reader.release()
    await stream.close({ signal }).catch(() => {})
  }
}
