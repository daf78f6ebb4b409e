import { generateKeyPair } from '@libp2p/crypto/keys'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createHost } from '../src/host/create-host.js'
import type { Host, HostInit, NetworkServices } from '../src/host/create-host.js'
import { Teardown } from './teardown.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export { waitFor } from './wait.js'

export const LOCAL = '/ip4/127.0.0.1/tcp/0'

export type NetHost = Host<NetworkServices>

export type NetHostInit = Omit<HostInit<NetworkServices>, 'privateKey' | 'listen'> & { privateKey?: PrivateKey, listen?: string[] }

/** A file id (CIDv1 raw sha2-256) derived from a text. */
export async function fileIdOf (text: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(text)))
}

/** The host's first address with its /p2p/ id: what a bootstrap list needs. */
export function addrOf (host: NetHost): string {
  const addr = host.getMultiaddrs()[0]
  if (addr == null) throw new Error('host has no address')
  return addr.toString()
}

export function isConnected (a: NetHost, b: PeerId): boolean {
  return a.getConnections(b).length > 0
}

export function tableSize (host: NetHost): number {
  return (host.services.dht as any)?.routingTable?.size ?? 0
}

/** Hosts and folders made by a test or benchmark, undone in reverse by `cleanup()`. */
export class Scene extends Teardown {
  override async tmpDir (prefix = 'fsnode-host-'): Promise<string> {
    return await super.tmpDir(prefix)
  }

  async host (init: NetHostInit = {}): Promise<NetHost> {
    const node = await createHost<NetworkServices>({
      ...init,
      privateKey: init.privateKey ?? await generateKeyPair('Ed25519'),
      listen: init.listen ?? [LOCAL]
    })
    this.defer(async () => { await node.stop() })
    return node
  }
}

/** Run `fn` over `items`, `limit` at a time, keeping order. */
export async function mapLimit<T, R> (items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
