import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { sha256File, writeRandom } from '../e2e/files.js'
import { sleep, waitFor } from '../e2e/harness.js'
import { netnsUnavailable } from './netns.js'
import { NatScenario } from './scenario.js'

const MiB = 1024 * 1024
const circuit = (addrs: string[]): boolean => addrs.some(x => x.includes('/p2p-circuit'))

describe('behind NAT: relay limits and a coordinator restart (netns)', function () {
  this.timeout(240_000)
  const reason = netnsUnavailable()
  let net: NatScenario
  const relay = { maxReservations: 1, peerBytesPerSecond: 2 * MiB }
  const restarted = { maxReservations: 2, peerBytesPerSecond: 0, totalBytesPerSecond: 2 * MiB }

  before(async function () {
    if (reason != null) { console.log(`      skipped: ${reason}`); this.skip() }
    net = await NatScenario.create()
    await net.startCoordinator({ relay })
    await writeRandom(net.home('a', 'shared', 'paced.bin'), 12 * MiB)
    await writeRandom(net.home('a', 'shared', 'cut.bin'), 20 * MiB + 3)
    await writeRandom(net.home('a', 'shared', 'total.bin'), 12 * MiB)
    await net.startNode('ha', 'a')
    await net.relayed('a')
    await net.startNode('hb', 'b')
  })

  after(async function () {
    await net?.destroy()
  })

  it('with relay.maxReservations 1 the second node is refused, and its status says the relay is full', async () => {
    const s = await waitFor(async () => {
      const st = await net.status('b')
      return st.reachability.relays[0]?.error != null ? st : undefined
    }, 'b\'s refused reservation', 60_000)
    assert.equal(s.reachability.relays[0].reserved, false)
    assert.match(s.reachability.relays[0].error, /refused: the relay is full \(RESERVATION_REFUSED; see coordinator\.relay\.maxReservations\)/)
    assert.equal((await net.status('a')).reachability.mode, 'relayed')
  })

  it('relay.peerBytesPerSecond paces a relayed transfer, which still arrives whole', async () => {
    await net.sees('b', 'paced.bin', circuit)
    const got = await net.json('b', ['get', 'paced.bin', '--out', net.home('b', 'out')])
    assert.equal(await sha256File(net.home('b', 'out', 'paced.bin')), await sha256File(net.home('a', 'shared', 'paced.bin')))
    // 12 MiB at 2 MiB/s is 6 s. The relay paces by pausing the streams a sender uses, and a
    // paused yamux stream still takes what its window allows: allow one second of burst plus
    // 4 MiB in flight (a slow machine only adds time)
    assert.ok(got.seconds >= 3.5, `12 MiB through a 2 MiB/s relay in ${got.seconds} s`)
    console.log(`      12 MiB through a relay paced at 2 MiB/s: ${got.seconds} s`)
  })

  it('a relayed transfer cut by a coordinator restart fails with an error, then resumes once the relay is back', async () => {
    await net.sees('b', 'cut.bin', circuit)
    const out = net.home('b', 'out2')
    const running = net.run('b', ['get', 'cut.bin', '--out', out, '--json'], 150_000)
    let settled: any
    void running.then(r => { settled = r }, err => { settled = err })
    await waitFor(async () => {
      if (settled != null) throw new Error(`the get ended before the cut: ${JSON.stringify(settled)}`)
      return (await net.status('b')).downloads.some((d: any) => d.bytesDone >= MiB)
    }, 'the relayed download to be under way', 60_000, 200)
    net.coordinator?.kill()
    const cut = await running
    assert.equal(cut.code, 1, cut.stdout)
    assert.match(cut.stderr, /^fsnode: /)
    assert.ok(!existsSync(net.home('b', 'out2', 'cut.bin')), 'a cut transfer must not leave a file under its name')
    await sleep(500)
    // room for both nodes now: with one slot, b (refused until now) may win the race for it;
    // and the total rate alone, no per-peer rate (the next test)
    await net.startCoordinator({ relay: restarted })
    await net.relayed('a') // a re-reserved on the restarted coordinator
    await net.sees('b', 'cut.bin', circuit)
    const got = await net.json('b', ['get', 'cut.bin', '--out', out], 150_000)
    assert.ok((got.resumedChunks ?? 0) > 0, `nothing resumed: ${JSON.stringify(got)}`)
    assert.equal(await sha256File(net.home('b', 'out2', 'cut.bin')), await sha256File(net.home('a', 'shared', 'cut.bin')))
  })

  it('relay.totalBytesPerSecond on its own (no per-peer rate) paces a relayed transfer, which still arrives whole', async () => {
    await net.sees('b', 'total.bin', circuit)
    const got = await net.json('b', ['get', 'total.bin', '--out', net.home('b', 'out3')])
    assert.equal(await sha256File(net.home('b', 'out3', 'total.bin')), await sha256File(net.home('a', 'shared', 'total.bin')))
    // as above: 12 MiB at 2 MiB/s is 6 s, less a second of burst and 4 MiB in flight
    assert.ok(got.seconds >= 3.5, `12 MiB through a relay with a 2 MiB/s total in ${got.seconds} s`)
    console.log(`      12 MiB through a relay with a 2 MiB/s total (no per-peer rate): ${got.seconds} s`)
  })
})
