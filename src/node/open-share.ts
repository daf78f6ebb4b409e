import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { ShareIndex } from '../share/share-index.js'
import { favourMemory } from '../util/heap.js'
import type { NodeConfig } from '../config/load.js'
import type { ExtraShare, ShareList } from './share-list.js'

const log = logger('fsnode:node')

/**
 * The share index of a daemon, started (scanned, not yet watching: see startWatching): the
 * share folder, the extra shares and the seeds of `shareList`. An extra share that can no
 * longer be shared (gone, or clashing) has had its warning and leaves the list.
 */
function seedIdentity (s: ExtraShare): { dev: number, ino: number } | undefined {
  return s.kind === 'seed' && s.dev != null && s.ino != null ? { dev: s.dev, ino: s.ino } : undefined
}

export async function openShare (config: NodeConfig, shareList: ShareList, say: (line: string) => void): Promise<ShareIndex> {
  const extra = await shareList.load()
  // the extra shares and seeds are indexed in the same pass as the share folder: one by one
  // after it, each cost a queue round, and the cache prune at the end of the scan dropped
  // their hashes, so every seed was hashed again on each restart
  const share = new ShareIndex({
    dataDir: config.dataDir,
    // (an empty name is the share folder's: such an entry is not shared, and dropped below)
    roots: [{ path: config.shareDir, name: '' }, ...extra.filter(s => s.name !== '').map(s => ({ path: s.path, name: s.name, expect: seedIdentity(s) }))],
    exclude: [config.dataDir],
    onManyFiles: () => {
      log('a large share: V8 now favours memory over speed')
      favourMemory()
    }
  })
  share.addEventListener('warning', (e: any) => say(`warning: ${String(e.detail)}`))
  // a restart shares what the hash cache knows at once and scans after (see ShareIndex.start)
  await share.start({ deferWatch: true, cachedFirst: true })
  try {
    const shared = new Set(share.roots().map(r => r.path))
    for (const s of extra) {
      if (shared.has(resolve(s.path))) continue
      log('not sharing %s any more', s.path)
      await shareList.remove(s.path)
    }
  } catch (err) {
    await share.stop()
    throw err
  }
  return share
}
