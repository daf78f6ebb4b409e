import assert from 'node:assert/strict'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/host/create-host.js'
import { PeerMemory, BootstrapAddressError, parseBootstrap } from '../../src/host/peer-memory.js'
import { PEERS_FILE } from '../../src/host/constants.js'
import { KAD_PROTOCOL } from '../../src/wire/constants.js'
import { Scene, waitFor } from './helpers.js'
import type { PeerMemoryComponents } from '../../src/host/peer-memory.js'
import type { PeerId } from '@libp2p/interface'

async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** Components with a dialer that answers for `up` peers after `delayMs`. */
function fakeComponents (self: PeerId, up: Set<string>, delayMs = 10): PeerMemoryComponents & { dialled: string[], maxDialling: number } {
  let dialling = 0
  const c = {
    peerId: self,
    events: new EventTarget(),
    peerStore: { merge: async () => ({}) } as any,
    dialled: [] as string[],
    maxDialling: 0,
    connectionManager: {
      getConnections: () => [],
      openConnection: async (peer: any) => {
        dialling++
        c.maxDialling = Math.max(c.maxDialling, dialling)
        c.dialled.push(peer.toString())
        await new Promise(resolve => setTimeout(resolve, delayMs))
        dialling--
        if (!up.has(peer.toString())) throw new Error('connection refused')
        return {} as any
      }
    }
  }
  return c
}

function identified (peerId: PeerId, protocols: string[], port: number): CustomEvent {
  return new CustomEvent('peer:identify', { detail: { peerId, protocols, listenAddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${port}`)] } })
}

describe('host/peer-memory', function () {
  this.timeout(20_000)
  let scene: Scene
  beforeEach(() => { scene = new Scene() })
  afterEach(async () => { await scene.cleanup() })

  it('a bootstrap address without /p2p/<id> is an error, not silently dropped', async () => {
    assert.throws(() => parseBootstrap(['/ip4/127.0.0.1/tcp/4001']), BootstrapAddressError)
    assert.throws(() => parseBootstrap(['not an address']), BootstrapAddressError)
    const id = await newPeerId()
    assert.equal(parseBootstrap([`/ip4/127.0.0.1/tcp/4001/p2p/${id.toString()}`])[0].peerId.toString(), id.toString())
    await assert.rejects(createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [], bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }), BootstrapAddressError)
  })

  it('remembers fsnode peers it identified, newest first, capped, in peers.json', async () => {
    const dir = await scene.tmpDir()
    const self = await newPeerId()
    const memory = new PeerMemory(fakeComponents(self, new Set()), { file: join(dir, PEERS_FILE), maxPeers: 3, saveDebounce: 50 })
    await memory.start()
    const peers = await Promise.all(Array.from({ length: 5 }, newPeerId))
    const other = await newPeerId()
    const events = (memory as any).components.events as EventTarget
    for (const [i, p] of peers.entries()) {
      events.dispatchEvent(identified(p, [KAD_PROTOCOL, '/ipfs/id/1.0.0'], 4000 + i))
      await new Promise(resolve => setTimeout(resolve, 2)) // distinct lastSeen
    }
    events.dispatchEvent(identified(other, ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0'], 5000)) // not fsnode
    const file = await waitFor(async () => await readFile(join(dir, PEERS_FILE), 'utf8').catch(() => undefined), 'peers.json')
    const json = JSON.parse(file)
    assert.equal(json.version, 1)
    assert.deepEqual(json.peers.map((p: any) => p.id), [peers[4], peers[3], peers[2]].map(String))
    assert.deepEqual(json.peers[0].addrs, ['/ip4/127.0.0.1/tcp/4004'])
    await memory.stop()
    assert.deepEqual((await readdir(dir)).filter(f => f.endsWith('.tmp')), [], 'no temporary file left')
  })

  it('a damaged peers.json is ignored and rewritten', async () => {
    const dir = await scene.tmpDir()
    await writeFile(join(dir, PEERS_FILE), '{"version": 1, "peers": [{"id": "nope"')
    const memory = new PeerMemory(fakeComponents(await newPeerId(), new Set()), { file: join(dir, PEERS_FILE), saveDebounce: 10 })
    await memory.start()
    assert.deepEqual(memory.list(), [])
    const peer = await newPeerId()
    ;(memory as any).components.events.dispatchEvent(identified(peer, [KAD_PROTOCOL], 4001))
    await memory.stop()
    assert.equal(JSON.parse(await readFile(join(dir, PEERS_FILE), 'utf8')).peers[0].id, peer.toString())
  })

  it('rejoin dials remembered peers newest first, a few at a time, until enough answered', async () => {
    const dir = await scene.tmpDir()
    const peers = await Promise.all(Array.from({ length: 12 }, newPeerId))
    const now = Date.now()
    await writeFile(join(dir, PEERS_FILE), JSON.stringify({
      version: 1,
      peers: peers.map((p, i) => ({ id: p.toString(), addrs: [`/ip4/127.0.0.1/tcp/${4000 + i}`], lastSeen: now - i * 1000 }))
    }))
    const up = new Set(peers.filter((_, i) => i % 2 === 1).map(String)) // every other one answers
    const components = fakeComponents(await newPeerId(), up)
    const memory = new PeerMemory(components, { file: join(dir, PEERS_FILE), rejoinTarget: 3 })
    await memory.start()
    const answered = await memory.rejoin()
    assert.ok(answered >= 3 && answered < 3 + 4, `${answered} answered`) // dials already under way finish
    assert.equal(components.dialled[0], peers[0].toString(), 'the most recently seen first')
    assert.equal(components.dialled[1], peers[1].toString())
    assert.ok(components.maxDialling <= 4)
    assert.ok(components.dialled.length < peers.length, `stopped early after ${components.dialled.length} dials`)
    await memory.stop()
  })

  it('a real host remembers the peer it talked to, with its listen addresses', async () => {
    const dirA = await scene.tmpDir()
    const a = await scene.host({ dht: true, dataDir: dirA })
    const b = await scene.host({ dht: true })
    await a.dial(b.getMultiaddrs()[0], { signal: AbortSignal.timeout(5000) })
    await waitFor(() => a.services.peerMemory?.list().some(p => p.id === b.peerId.toString()) === true ? true : undefined, 'a to remember b')
    await a.stop()
    const json = JSON.parse(await readFile(join(dirA, PEERS_FILE), 'utf8'))
    assert.deepEqual(json.peers.map((p: any) => p.id), [b.peerId.toString()])
    assert.deepEqual(json.peers[0].addrs, b.getMultiaddrs().map(m => m.decapsulateCode(421).toString()))
  })
})
