import { logger } from '@libp2p/logger'
import { UnknownFileError } from './errors.js'
import type { Downloads } from './downloads.js'
import type { GetFileResult, GetOptions, GetResult } from './api.js'

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
  let next = 0
  let failure: Error | undefined
  const worker = async (): Promise<void> => {
    while (next < files.length && failure == null) {
      const f = files[next++]
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
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, async () => { await worker() }))
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

export class FolderDownloadError extends Error {
  static readonly code = 'FolderDownloadError'
  override name = 'FolderDownloadError'
}
