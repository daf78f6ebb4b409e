import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256File, writeRandom } from '../e2e/files.js'
import { waitFor } from '../e2e/harness.js'
import type { Daemon } from '../e2e/harness.js'
import { COORD_IP, NatLab, netnsUnavailable } from './netns.js'
import type { Site } from './netns.js'

/** The coordinator's address as the NATed nodes use it. */
function coordAddr (c: Daemon): string {
  return `/ip4/${COORD_IP}/tcp/7870/p2p/${c.peerId}`
}

describe('behind NAT: two NATed nodes through the coordinator (netns)', function () {
  this.timeout(120_000)
  const reason = netnsUnavailable()
  let lab: NatLab
  let dir: string
  const daemons: Daemon[] = []
  let coord: Daemon

  async function startNode (site: Site, name: string, extra: string[] = []): Promise<Daemon> {
    const home = join(dir, name)
    await mkdir(join(home, 'shared'), { recursive: true })
    const d = await lab.daemon(site, ['start', '--data-dir', join(home, 'data'), '--share', join(home, 'shared'),
      '--downloads', join(home, 'downloads'), '--listen', '/ip4/0.0.0.0/tcp/0', ...extra], home)
    daemons.push(d)
    return d
  }

  before(async function () {
    if (reason != null) this.skip()
    dir = await mkdtemp(join(tmpdir(), 'fsnode-nat-'))
    lab = await NatLab.create()
    coord = await lab.daemon('inet', ['coordinator', '--data-dir', join(dir, 'coord'), '--listen', '/ip4/0.0.0.0/tcp/7870'], dir)
    daemons.push(coord)
  })

  after(async function () {
    for (const d of daemons.reverse()) await d.stop().catch(() => {})
    await lab?.destroy()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('a NATed node gets a file from another NATed node by name, byte-identical, both directions, through the relay', async () => {
    await writeRandom(join(dir, 'a', 'shared', 'from-a.bin'), 3 * 1024 * 1024 + 17)
    await writeRandom(join(dir, 'b', 'shared', 'from-b.bin'), 2 * 1024 * 1024 + 5)
    await startNode('ha', 'a', ['--coordinator', coordAddr(coord)])
    await startNode('hb', 'b', ['--coordinator', coordAddr(coord)])
    for (const [site, name] of [['ha', 'a'], ['hb', 'b']] as const) {
      const s = await waitFor(async () => {
        const st = await lab.json(site, ['status', '--data-dir', join(dir, name, 'data')], dir)
        return st.reachability?.mode === 'relayed' && st.addrs.some((x: string) => x.includes('/p2p-circuit')) ? st : undefined
      }, `${name} to hold a relay reservation`, 30_000)
      assert.equal(s.reachability.relays[0].reserved, true)
      assert.ok(s.reachability.relays[0].addrs[0].startsWith(`${coordAddr(coord)}/p2p-circuit`))
    }
    // both announced (with their relayed addresses): each sees the other's file
    await waitFor(async () => {
      const ls = await lab.json('ha', ['ls', '--data-dir', join(dir, 'a', 'data')], dir)
      return ls.some((f: any) => f.name === 'from-b.bin' && f.providers.some((p: any) => p.addrs.some((x: string) => x.includes('/p2p-circuit'))))
    }, 'b\'s file with its relayed address in a\'s ls', 30_000)
    const before = await lab.coordinatorBytes()
    await lab.json('ha', ['get', 'from-b.bin', '--data-dir', join(dir, 'a', 'data'), '--out', join(dir, 'a', 'out')], dir)
    assert.equal(await sha256File(join(dir, 'a', 'out', 'from-b.bin')), await sha256File(join(dir, 'b', 'shared', 'from-b.bin')))
    await waitFor(async () => {
      const ls = await lab.json('hb', ['ls', '--data-dir', join(dir, 'b', 'data')], dir)
      return ls.some((f: any) => f.name === 'from-a.bin')
    }, 'a\'s file in b\'s ls', 30_000)
    await lab.json('hb', ['get', 'from-a.bin', '--data-dir', join(dir, 'b', 'data'), '--out', join(dir, 'b', 'out')], dir)
    assert.equal(await sha256File(join(dir, 'b', 'out', 'from-a.bin')), await sha256File(join(dir, 'a', 'shared', 'from-a.bin')))
    // the only way between the two NATs is the coordinator: both files crossed it (twice each:
    // in from one router, out to the other)
    const relayed = await lab.coordinatorBytes() - before
    assert.ok(relayed > 2 * (5 * 1024 * 1024), `only ${relayed} bytes crossed the coordinator's segment`)
  })
})
