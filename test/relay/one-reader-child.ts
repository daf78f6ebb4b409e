// Measures, in a process of its own (ArrayBuffer bytes are counted per process, and other specs
// of a mocha run may still be allocating), what a circuit joined as @libp2p/circuit-relay-v2
// joins it still holds once SENT bytes went through. Argument: `fix` or `library`. Prints the
// bytes held as one JSON line.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { pipe, streamPair } from '@libp2p/utils'
import { oneReaderFromHere } from '../../src/relay/server.js'
import { fullCollection } from '../../src/util/buffer-cap.js'
import type { Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
export const SENT = 32 * MiB
const PIECE = 64 * 1024

const SETTLE_LOOKS = 5
const SETTLE_MS = 20

/** ArrayBuffer bytes alive: the least of a few looks, each after a full collection. V8 frees
 * dead buffers' memory on a concurrent sweeper after the collection, so one look right after
 * it may still count them (5.6 and 20.8 MiB in two loaded CI runs, 0.2 MiB otherwise); what
 * the library's second reader holds is alive and counted by every look. */
async function liveBuffers (): Promise<number> {
  const gc = fullCollection()
  assert.ok(gc != null, 'a full collection can be forced')
  let least = Number.POSITIVE_INFINITY
  for (let i = 0; i < SETTLE_LOOKS; i++) {
    gc()
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    least = Math.min(least, process.memoryUsage().arrayBuffers)
  }
  return least
}

/** Join two streams as the library does (`pipe(hop, stop, hop)`), send SENT bytes in from the
 * dialling side, and return the ArrayBuffer bytes still held once they have all come out at
 * the other end (the circuit still open). */
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
  const before = await liveBuffers()
  for (let sent = 0; sent < SENT; sent += PIECE) {
    if (!dialler.send(randomBytes(PIECE))) await new Promise(resolve => dialler.addEventListener('drain', resolve, { once: true }))
  }
  await arrived
  const held = (await liveBuffers()) - before
  for (const s of [dialler, hop, stop, target] as Stream[]) s.abort(new Error('done'))
  return held
}

// run as a script only (the spec imports SENT from here)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify({ held: await relayed(process.argv[2] === 'fix') }) + '\n')
}
