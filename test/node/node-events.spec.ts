import assert from 'node:assert/strict'
import { NodeEvents, watchNodeEvents } from '../../src/node/events.js'
import { NODE_EVENT_DEBOUNCE_MS } from '../../src/node/constants.js'

/** A host as watchNodeEvents sees it: peer events and the list of connected peers. */
class FakeHost extends EventTarget {
  peers: string[] = []
  getPeers (): string[] { return [...this.peers] }
  set (peers: string[]): void {
    this.peers = peers
    this.dispatchEvent(new Event('peer:connect'))
  }
}

const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, NODE_EVENT_DEBOUNCE_MS + 100)) }

describe('node events: peers', () => {
  it('tells a change of the peer set even when the count stays the same; one event per burst', async () => {
    const events = new NodeEvents()
    const seen: Array<{ peers: number, joined: number, left: number }> = []
    events.on('peers', e => seen.push(e))
    const host = new FakeHost()
    const stop = watchNodeEvents(events, host)
    try {
      host.set(['a'])
      host.set(['a', 'b']) // same burst: one event
      await settle()
      assert.deepEqual(seen, [{ peers: 2, joined: 2, left: 0 }])
      host.set(['a', 'c']) // b left as c joined: the count did not change
      await settle()
      assert.deepEqual(seen[1], { peers: 2, joined: 1, left: 1 })
      host.set(['a', 'c']) // nothing changed: no event
      await settle()
      assert.equal(seen.length, 2)
    } finally {
      stop()
    }
  })
})
