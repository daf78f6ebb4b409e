import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createHost } from '../../src/host/create-host.js'
import { createCoordinator } from '../../src/index/service.js'
import type { Host } from '../../src/host/create-host.js'
import type { CoordinatorInit, CoordinatorService } from '../../src/index/service.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const LOCAL = '/ip4/127.0.0.1/tcp/0'

/** A file id (CIDv1 raw sha2-256) derived from a text. */
export async function fileIdOf (text: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(text)))
}

export async function file (name: string, size = name.length, mtime = 1_700_000_000_000): Promise<{ name: string, fileId: CID, size: number, mtime: number }> {
  return { name, fileId: await fileIdOf(`content of ${name}`), size, mtime }
}

/** Teardown registered as things are made, run in reverse by `cleanup()`. */
export class Scene {
  private readonly undo: Array<() => Promise<void>> = []

  defer (fn: () => Promise<void>): void {
    this.undo.push(fn)
  }

  async tmpDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'fsnode-index-'))
    this.defer(async () => { await rm(dir, { recursive: true, force: true }) })
    return dir
  }

  async host (listen = LOCAL, privateKey?: PrivateKey): Promise<Host> {
    const node = await createHost({ privateKey: privateKey ?? await generateKeyPair('Ed25519'), listen: [listen] })
    this.defer(async () => { await node.stop() })
    return node
  }

  /** A coordinator host with the index service started. */
  async coordinator (init: CoordinatorInit, listen = LOCAL, privateKey?: PrivateKey): Promise<{ node: Host, service: CoordinatorService, addr: Multiaddr }> {
    const node = await this.host(listen, privateKey)
    const service = createCoordinator(node, init)
    await service.start()
    this.defer(async () => { await service.stop() })
    return { node, service, addr: node.getMultiaddrs()[0] }
  }

  async cleanup (): Promise<void> {
    while (this.undo.length > 0) {
      try { await this.undo.pop()?.() } catch {}
    }
  }
}

/** Poll until `fn` returns a value that is not undefined. */
export async function waitFor<T> (fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}${lastError != null ? `: ${String(lastError)}` : ''}`)
}
