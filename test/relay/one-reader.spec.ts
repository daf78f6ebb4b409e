import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { pipe, streamPair } from '@libp2p/utils'
import { oneReaderFromHere } from '../../src/relay/server.js'
import { fullCollection } from '../../src/util/buffer-cap.js'
import type { Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
const SENT = 32 * MiB
const PIECE = 64 * 1024

/** ArrayBuffer bytes alive after a full collection. */
function liveBuffers (): number {
  const gc = fullCollection()
  assert.ok(gc != null, 'a full collection can be forced')
  gc()
  return process.memoryUsage().arrayBuffers
}

/** Join two streams as @libp2p/circuit-relay-v2 does (`pipe(hop, stop, hop)`), send SENT bytes
 * in from the dialling side, and return the ArrayBuffer bytes the relay still holds once
 * they have all come out at the other end (the circuit still open). */
async function relayed (fix: boolean): Promise<number> {
  const [dialler, hop] = await streamPair()
  const [stop, target] = await streamPair()
  if (fix) oneReaderFromHere(hop)
  void pipe(hop, stop, hop).catch(() => {})
  let got = 0
  const arrived = new Promise<void>(resolve => {
    target.addEventListener('message', evt => {
      got += evt.data.byteLength
      if (got >= SENT) resolve()
    })
  })
  const before = liveBuffers()
  for (let sent = 0; sent < SENT; sent += PIECE) {
    if (!dialler.send(randomBytes(PIECE))) await new Promise(resolve => dialler.addEventListener('drain', resolve, { once: true }))
  }
  await arrived
  const held = liveBuffers() - before
  for (const s of [dialler, hop, stop, target] as Stream[]) s.abort(new Error('done'))
  return held
}

describe('relay: a circuit joined by the relay library holds nothing it has passed on', function () {
  this.timeout(60_000)

  it('without the fix the pipe keeps every byte from the dialling side; with it, none', async () => {
    const fixed = await relayed(true)
    const leaked = await relayed(false)
    console.log(`      held after relaying ${SENT / MiB} MiB: ${(leaked / MiB).toFixed(1)} MiB as the library joins them, ${(fixed / MiB).toFixed(1)} MiB with oneReaderFromHere`)
    assert.ok(leaked >= SENT * 0.9, `the library's second reader held ${leaked} bytes`)
    assert.ok(fixed < 4 * MiB, `${fixed} bytes held with the fix`)
  })
})
