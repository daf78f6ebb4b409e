import { logger } from '@libp2p/logger'
import { isStillFile } from '../transfer/out-folder.js'
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
  constructor (private readonly share: ShareIndex, private readonly shareList?: ShareList) {}

  /** A file under a shared folder is picked up by the watcher (its manifest remembered, so it
   * is not re-hashed); one elsewhere becomes a shared file of its own under its network name,
   * remembered across restarts. Only while `path` is still the regular file the download left
   * (same device and inode): someone who can write into the download folder must not get
   * another file (a link to a private one) shared in its place. */
  async seed ({ path, identity, name, manifest }: Fetched): Promise<void> {
    const { share, shareList } = this
    const replaced = async (): Promise<boolean> => {
      if (await isStillFile(path, identity)) return false
      log('not seeding %s: it is no longer the file the download left there', path)
      return true
    }
    try {
      if (await replaced()) return
      await share.remember(path, manifest)
      if (await replaced()) return
      if (share.isUnderFolderRoot(path)) return
      await share.addRoot(path, name)
      // a swap while it was being added: unshare at once
      if (await replaced()) {
        await share.removeRoot(path)
        return
      }
      await shareList?.add({ path, name, kind: 'seed' })
    } catch (err: any) {
      log('not seeding %s: %s', path, err.message)
    }
  }
}
