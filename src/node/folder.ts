import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { UnknownFileError } from './errors.js'
import { FOLDER_SEED_GROUP } from './constants.js'
import { batchable, fetchBatch } from '../transfer/batch.js'
import { parseFileId } from '../wire/file-id.js'
import type { BatchPlaced } from '../transfer/batch.js'
import type { Downloads } from './downloads.js'
import type { Fetched } from './seeder.js'
import type { GetFileResult, GetOptions, GetResult, NetworkFile, ProviderInfo } from './api.js'

const log = logger('fsnode:node:folder')

/**
 * `get photos/`: every file under the folder, keeping its layout under `outDir`, a few files
 * at a time, with one progress display for the whole folder. Each file is a normal verified,
 * resumable get; names are sanitised by the downloader so none escapes `outDir`.
 */
export async function fetchFolder (downloads: Downloads, folder: string, outDir: string, concurrency: number, options: GetOptions): Promise<GetResult> {
  const prefix = folder.replace(/\/+$/, '') + '/'
  const listed = await downloads.init.finder.list(prefix === '/' ? undefined : prefix, options.signal)
  const files = listed.filter(f => prefix === '/' || f.name.startsWith(prefix))
  if (files.length === 0) throw new UnknownFileError(`no folder ${JSON.stringify(folder)} on the network (fsnode ls lists them)`)

  const started = Date.now()
  const bytesTotal = files.reduce((n, f) => n + f.size, 0)
  const done = new Map<string, number>()
  const peers = new Set<string>()
  let filesDone = 0
  let lastEmit = 0
  const emit = (force = false): void => {
    const now = Date.now()
    if (!force && now - lastEmit < 200) return
    lastEmit = now
    const bytesDone = [...done.values()].reduce((a, b) => a + b, 0)
    const seconds = (now - started) / 1000
    options.onProgress?.({ name: folder, bytesDone, bytesTotal, peers: peers.size, rate: seconds > 0 ? bytesDone / seconds : 0, filesDone, filesTotal: files.length })
  }

  const results: GetFileResult[] = []
  // small files first, many at a time over a few streams per provider; what a batch cannot
  // place (or any file it leaves out) is fetched below, one normal get per file
  const { rest, placed } = await fetchSmallFiles(downloads, files, outDir, concurrency, options, (f, r) => {
    done.set(f.name, f.size)
    peers.add(r.peer)
    filesDone++
    results.push(r.result)
    emit()
  })
  log('folder %s: %d files in batches, %d one by one', folder, placed, rest.length)
  let next = 0
  let failure: Error | undefined
  const worker = async (): Promise<void> => {
    while (next < rest.length && failure == null) {
      const f = rest[next++]
      try {
        const target = await downloads.resolve(f.fileId, options.signal)
        const r = await downloads.fetch({ ...target, name: f.name }, outDir, f.name, {
          signal: options.signal,
          onProgress: e => { done.set(f.name, e.bytesDone); emit() }
        })
        done.set(f.name, f.size)
        for (const p of r.providers) peers.add(p)
        filesDone++
        results.push(r)
        emit()
      } catch (err: any) {
        log('folder file %s failed: %s', f.name, err.message)
        failure ??= new FolderDownloadError(`${f.name}: ${err.message as string}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, rest.length) }, async () => { await worker() }))
  emit(true)
  if (failure != null) throw failure
  results.sort((a, b) => a.name < b.name ? -1 : 1)
  const seconds = (Date.now() - started) / 1000
  return {
    fileId: '',
    name: folder,
    size: bytesTotal,
    path: outDir,
    seconds,
    bytesPerSecond: seconds > 0 ? bytesTotal / seconds : 0,
    providers: [...peers],
    files: results
  }
}

/**
 * The folder's small files (batchable sizes) that the listing names a provider for, fetched
 * in batches, one per provider (the provider listed for the most of them is chosen, so few
 * connections carry many files); `concurrency` batches at a time. Returns the files left for
 * the one-by-one path: larger ones, those this node shares itself, those a batch handed back.
 */
async function fetchSmallFiles (downloads: Downloads, files: NetworkFile[], outDir: string, concurrency: number, options: GetOptions,
  onFile: (f: NetworkFile, r: { peer: string, result: GetFileResult }) => void): Promise<{ rest: NetworkFile[], placed: number }> {
  const self = downloads.self()
  const usable = (f: NetworkFile): ProviderInfo[] => f.providers.filter(p => p.peerId !== self && p.online !== false)
  const count = new Map<string, number>()
  for (const f of files) for (const p of usable(f)) count.set(p.peerId, (count.get(p.peerId) ?? 0) + 1)
  const groups = new Map<string, { provider: ProviderInfo, files: NetworkFile[] }>()
  const rest: NetworkFile[] = []
  for (const f of files) {
    const best = usable(f).sort((a, b) => (count.get(b.peerId) ?? 0) - (count.get(a.peerId) ?? 0))[0]
    if (best == null || !batchable(f.size) || downloads.localFile(f.fileId) != null) {
      rest.push(f)
      continue
    }
    const g = groups.get(best.peerId) ?? { provider: best, files: [] }
    g.files.push(f)
    groups.set(best.peerId, g)
  }
  const queue = [...groups.values()]
  let placed = 0
  // placed files go to the seeder in groups, one group at a time, while the batches go on
  let seeding: Promise<void> = Promise.resolve()
  let toSeed: Fetched[] = []
  const seedNow = (): void => {
    const group = toSeed
    toSeed = []
    if (group.length === 0 || downloads.init.fetched == null) return
    const fetched = downloads.init.fetched
    seeding = seeding.then(async () => { await fetched(group) })
  }
  const worker = async (): Promise<void> => {
    for (let g; (g = queue.shift()) != null;) {
      const byId = new Map(g.files.map(f => [`${f.fileId}\u0000${f.name}`, f]))
      const done = new Set<NetworkFile>()
      const peer = g.provider.peerId
      let r
      try {
        r = await fetchBatch({
          node: downloads.init.host,
          provider: { peerId: peerIdFromString(peer), addrs: g.provider.addrs.flatMap(a => { try { return [multiaddr(a)] } catch { return [] } }) },
          files: g.files.map(f => ({ fileId: parseFileId(f.fileId), name: f.name, size: f.size })),
          outDir,
          signal: options.signal,
          limiter: downloads.downloadLimiter,
          onPlaced: p => {
            const f = byId.get(`${p.file.fileId.toString()}\u0000${p.file.name}`)
            if (f == null) return
            placed++
            done.add(f)
            toSeed.push({ path: p.path, identity: p.identity, name: f.name, manifest: p.manifest })
            if (toSeed.length >= FOLDER_SEED_GROUP) seedNow()
            onFile(f, { peer, result: fileResult(f, p, peer) })
          }
        })
      } catch (err: any) {
        options.signal?.throwIfAborted()
        log('batch from %s failed: %s', peer, err.message)
        rest.push(...g.files.filter(f => !done.has(f)))
        continue
      }
      for (const { file, reason } of r.rest) {
        log('%s: not in a batch from %s (%s)', file.name, peer, reason)
        const f = byId.get(`${file.fileId.toString()}\u0000${file.name}`)
        if (f != null) rest.push(f)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => { await worker() }))
  seedNow()
  await seeding
  return { rest, placed }
}

function fileResult (f: NetworkFile, p: BatchPlaced, peer: string): GetFileResult {
  return {
    fileId: f.fileId,
    name: f.name,
    size: p.manifest.size,
    path: p.path,
    seconds: p.seconds,
    bytesPerSecond: p.existed || p.seconds <= 0 ? 0 : p.manifest.size / p.seconds,
    providers: [peer],
    resumedChunks: 0,
    chunks: p.manifest.chunks,
    chunksFromPeer: p.existed ? {} : { [peer]: p.manifest.chunks }
  }
}

export class FolderDownloadError extends Error {
  static readonly code = 'FolderDownloadError'
  override name = 'FolderDownloadError'
}
