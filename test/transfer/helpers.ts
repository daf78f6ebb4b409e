import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdtemp, open, rm, stat, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createHost } from '../../src/host/create-host.js'
import { Manifest } from '../../src/wire/file-manifest.js'
import { chunkSizeFor } from '../../src/share/chunk-size.js'
import { chunkServer } from '../../src/transfer/server.js'
import type { Host, HostInit } from '../../src/host/create-host.js'
import type { ServiceMap } from '@libp2p/interface'
import type { SharedFile } from '../../src/share/types.js'
import type { FileSource } from '../../src/transfer/source.js'
import type { ChunkServer, ChunkServerInit } from '../../src/transfer/server.js'
import type { CID } from 'multiformats/cid'
import type { Connection } from '@libp2p/interface'
import type { Dialer } from '../../src/transfer/fetcher.js'
import { CHUNK_PROTOCOL } from '../../src/transfer/constants.js'

/** Teardown registered as soon as a resource exists, run in reverse order. */
export class Cleanup {
  private readonly fns: Array<() => Promise<void> | void> = []
  add (fn: () => Promise<void> | void): void { this.fns.push(fn) }
  async run (): Promise<void> {
    while (this.fns.length > 0) {
      try { await this.fns.pop()?.() } catch {}
    }
  }
}

export async function tempDir (cleanup: Cleanup, prefix = 'fsnode-transfer-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanup.add(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

export async function makeHost<S extends ServiceMap = ServiceMap> (cleanup: Cleanup, services?: HostInit<S>['services']): Promise<Host<S>> {
  const host = await createHost<S>({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], services })
  cleanup.add(async () => { await host.stop() })
  return host
}

/** Write `size` random bytes in 1 MiB pieces. */
export async function randomFile (path: string, size: number): Promise<string> {
  const fh = await open(path, 'w')
  try {
    for (let off = 0; off < size; off += 1 << 20) await fh.write(randomBytes(Math.min(1 << 20, size - off)))
  } finally {
    await fh.close()
  }
  return path
}

/** A SharedFile as the share index would build it: hash every chunk (of the size the table
 * gives, or `chunkSize`: 16 MiB chunks without a 128 GiB file). */
export async function shareFile (path: string, name: string, chunkSize?: number): Promise<SharedFile> {
  const st = await stat(path)
  chunkSize ??= chunkSizeFor(st.size)
  const chunks = st.size === 0 ? 0 : Math.ceil(st.size / chunkSize)
  const hashes = new Uint8Array(chunks * 32)
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(chunkSize)
    for (let i = 0; i < chunks; i++) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, i * chunkSize)
      hashes.set(createHash('sha256').update(buf.subarray(0, bytesRead)).digest(), i * 32)
    }
  } finally {
    await fh.close()
  }
  const manifest = Manifest.create(st.size, chunkSize, hashes)
  return { name, path, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev, fileId: manifest.fileId, manifest }
}

export class MemorySource implements FileSource {
  readonly files = new Map<string, SharedFile>()
  readonly revalidated: SharedFile[] = []
  add (file: SharedFile): SharedFile { this.files.set(file.fileId.toString(), file); return file }
  getByFileId (fileId: CID): SharedFile | undefined { return this.files.get(fileId.toString()) }
  revalidate (file: SharedFile): void { this.revalidated.push(file) }
}

export interface TestProvider {
  host: Host
  source: MemorySource
  server: ChunkServer
  info: { peerId: string, addrs: string[] }
}

/** A host serving the chunk protocol from an in-memory share source. */
export async function makeProvider (cleanup: Cleanup, init: Partial<ChunkServerInit> = {}): Promise<TestProvider> {
  const source = new MemorySource()
  // as a node runs it: a libp2p service, started and stopped with the host
  const host = await makeHost<{ chunkServer: ChunkServer }>(cleanup, { chunkServer: chunkServer({ source, ...init }) })
  const server = host.services.chunkServer
  return { host, source, server, info: { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) } }
}

export async function sha256File (path: string): Promise<string> {
  const h = createHash('sha256')
  const fh = await open(path, 'r')
  try {
    for await (const chunk of fh.createReadStream()) h.update(chunk as Buffer)
  } finally {
    await fh.close().catch(() => {})
  }
  return h.digest('hex')
}

/** `host` as a Dialer that counts the chunk streams opened over its connections. */
export function countingDialer (host: Host): { node: Dialer, streams: () => number } {
  let streams = 0
  const node: Dialer = {
    dial: (async (...args: Parameters<Host['dial']>) => {
      const conn = await host.dial(...args)
      return new Proxy(conn, {
        get (target, prop) {
          if (prop === 'newStream') {
            return async (...a: Parameters<Connection['newStream']>) => {
              if (a[0] === CHUNK_PROTOCOL || (Array.isArray(a[0]) && a[0].includes(CHUNK_PROTOCOL))) streams++
              return await target.newStream(...a)
            }
          }
          const v = (target as any)[prop]
          return typeof v === 'function' ? v.bind(target) : v
        }
      })
    }) as Host['dial']
  }
  return { node, streams: () => streams }
}

const { O_DIRECT } = constants as typeof constants & { O_DIRECT?: number }

/** Whether files in `dir` can be opened with O_DIRECT (tmpfs before Linux 6.6 and some FUSE
 * file systems refuse it; macOS and Windows have no O_DIRECT). */
export async function directSupported (dir: string): Promise<boolean> {
  if (O_DIRECT == null || process.platform !== 'linux') return false
  try {
    const probe = join(dir, '.direct-probe')
    const fh = await open(probe, constants.O_WRONLY | constants.O_CREAT | O_DIRECT)
    await fh.close()
    await unlink(probe)
    return true
  } catch {
    return false
  }
}
