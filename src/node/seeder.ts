import { resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import type { FileIdentity } from '../transfer/out-folder.js'
import type { Manifest } from '../wire/file-manifest.js'
import type { ShareIndex } from '../share/share-index.js'
import type { ShareList } from './share-list.js'

const log = logger('fsnode:node:seeder')

/** A finished download, as the seeder needs it. */
export interface Fetched {
  path: string
  /** What the download left at `path` (device and inode). */
  identity: FileIdentity
  /** Its name on the network. */
  name: string
  manifest: Manifest
}

/**
 * Serving what this node fetched: the share index is what the chunk server serves from, so a
 * seed is a file handed to it. Downloads only reports what it fetched.
 */
export class Seeder {
  constructor (private readonly share: Pick<ShareIndex, 'addSeeds'>, private readonly shareList?: Pick<ShareList, 'addAll'>) {}

  /**
   * Files under a shared folder are picked up by the watcher (their manifests remembered, so
   * they are not re-hashed); the others become shared files of their own under their network
   * names, all in one update of the share index (a folder get hands over many at once), and are
   * remembered across restarts. Only while a path is still the regular file the download left
   * (same device and inode): someone who can write into the download folder must not get another
   * file (a link to a private one) shared in its place. The index checks that (ShareIndex.addSeeds),
   * now, at every later change of the file and after a restart.
   */
  async seed (files: Fetched[]): Promise<void> {
    const { share, shareList } = this
    try {
      const shared = new Set(await share.addSeeds(files))
      await shareList?.addAll(files.filter(f => shared.has(resolve(f.path))).map(f => ({ path: resolve(f.path), name: f.name, kind: 'seed', ...f.identity })))
    } catch (err: any) {
      log('not seeding %d files: %s', files.length, err.message)
    }
  }
}
