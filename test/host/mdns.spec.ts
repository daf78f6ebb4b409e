import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { Scene, tableSize, waitFor } from './helpers.js'
import type { ChildProcess } from 'node:child_process'

const run = promisify(execFile)
const DISCOVERY_TIMEOUT = 15_000

/** A service tag no other test run or real node on this LAN answers to. */
function testTag (): string {
  return `_fsnode-test-${randomBytes(4).toString('hex')}._udp.local`
}

/** Does a multicast datagram sent here come back to a socket here? (IP_MULTICAST_LOOP over
 * whatever interface the multicast route uses; an admin-scoped group, so nothing leaves the site.) */
async function multicastLoops (): Promise<boolean> {
  const group = '239.255.42.99'
  const port = 20000 + Math.floor(Math.random() * 20000)
  const rx = createSocket({ type: 'udp4', reuseAddr: true })
  const tx = createSocket({ type: 'udp4', reuseAddr: true })
  try {
    await new Promise<void>((resolve, reject) => { rx.once('error', reject); rx.bind(port, resolve) })
    rx.addMembership(group)
    const got = new Promise<boolean>(resolve => {
      rx.once('message', () => { resolve(true) })
      setTimeout(() => { resolve(false) }, 1000)
    })
    await new Promise<void>(resolve => { tx.bind(0, resolve) })
    tx.setMulticastLoopback(true)
    tx.send('fsnode-probe', port, group)
    return await got
  } catch {
    return false
  } finally {
    rx.close()
    tx.close()
  }
}

async function netnsAvailable (): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    await run('ip', ['netns', 'list'])
    return undefined
  } catch (err: any) {
    return `ip netns unavailable: ${err.message}`
  }
}

describe('host/discovery: mDNS', function () {
  this.timeout(40_000)
  let mode: 'loopback' | 'netns' | 'skip' = 'skip'
  let reason = ''

  before(async () => {
    const forced = process.env.FSNODE_TEST_MDNS
    if (forced !== 'netns' && await multicastLoops()) {
      mode = 'loopback'
      return
    }
    const missing = await netnsAvailable()
    if (missing == null) mode = 'netns'
    else reason = `multicast does not loop back here and ${missing}`
  })

  it('two nodes with no bootstrap find each other, connect, and fill their routing tables', async function () {
    if (mode === 'skip') this.skip()
    if (mode === 'netns') return await inNamespaces()
    const scene = new Scene()
    try {
      const tag = testTag()
      const a = await scene.host({ dht: true, mdns: { serviceTag: tag, interval: 500 } })
      const b = await scene.host({ dht: true, mdns: { serviceTag: tag, interval: 500 } })
      await waitFor(() => a.getConnections(b.peerId).length > 0 ? true : undefined, 'a connection between the two', DISCOVERY_TIMEOUT)
      await waitFor(() => tableSize(a) > 0 && tableSize(b) > 0 ? true : undefined, 'both routing tables', DISCOVERY_TIMEOUT)
      const dials = (a.services.lanDialer?.dialled ?? 0) + (b.services.lanDialer?.dialled ?? 0)
      assert.ok(dials >= 1, 'the LAN dialer made the connection')
    } finally {
      await scene.cleanup()
    }
  })

  after(function () {
    if (mode === 'skip') console.log(`      (mDNS test skipped: ${reason})`)
  })
})

/**
 * Two namespaces, each with a veth into a bridge that lives in a third namespace, so the host's
 * own network is never touched; one child node in each. Torn down whatever happens.
 */
async function inNamespaces (): Promise<void> {
  const id = randomBytes(2).toString('hex')
  const hub = `fsn-hub-${id}`
  const ns = [`fsn-a-${id}`, `fsn-b-${id}`]
  const children: ChildProcess[] = []
  const ip = async (...args: string[]): Promise<void> => { await run('ip', args) }
  try {
    await ip('netns', 'add', hub)
    await ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', hub, 'link', 'set', 'br0', 'up')
    for (const [i, name] of ns.entries()) {
      await ip('netns', 'add', name)
      await ip('-n', hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name)
      await ip('-n', hub, 'link', 'set', `v${i}`, 'master', 'br0', 'up')
      await ip('-n', name, 'addr', 'add', `10.77.0.${i + 1}/24`, 'dev', 'eth0')
      await ip('-n', name, 'link', 'set', 'eth0', 'up', 'multicast', 'on')
      await ip('-n', name, 'link', 'set', 'lo', 'up')
      await ip('-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    }
    const tag = testTag()
    const script = fileURLToPath(new URL('./mdns-child.js', import.meta.url))
    const nodes = ns.map(name => {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, script, tag], { stdio: ['pipe', 'pipe', 'inherit'] })
      children.push(child)
      const state = { id: undefined as string | undefined, connected: new Set<string>() }
      createInterface({ input: child.stdout }).on('line', line => {
        try {
          const msg = JSON.parse(line)
          if (msg.id != null) state.id = msg.id
          if (msg.connected != null) state.connected.add(msg.connected)
        } catch {}
      })
      return state
    })
    await waitFor(() => nodes.every(n => n.id != null) ? true : undefined, 'both nodes to start', DISCOVERY_TIMEOUT)
    await waitFor(() => nodes[0].connected.has(nodes[1].id as string) && nodes[1].connected.has(nodes[0].id as string) ? true : undefined,
      'the namespaced nodes to connect', DISCOVERY_TIMEOUT)
  } finally {
    for (const child of children) child.stdin?.end()
    await Promise.all(children.map(async child => await new Promise(resolve => {
      if (child.exitCode != null) { resolve(undefined); return }
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve(undefined) }, 3000)
      child.once('exit', () => { clearTimeout(t); resolve(undefined) })
    })))
    for (const name of [...ns, hub]) await run('ip', ['netns', 'del', name]).catch(() => {})
  }
}
