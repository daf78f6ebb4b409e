import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Where the bench puts what a run or a case is done with: moved (one rename), and deleted
 * only when the bench ends. Why not delete at once: on an ext4 without a journal (this
 * machine's root file system), every new inode skips the inodes freed in the last minute or
 * more, reading the inode table for each (`find_inode_bit` -> `recently_deleted` in perf).
 * Deleting a run's 2,000 files cost the next run's 2,000 creates 1.3-2 CPU-s more in the
 * kernel, for fsnode and `scp -r` alike: a cost of the bench's own clean-up, which a user
 * fetching a folder does not pay. Big files (a few inodes) may still be deleted at once.
 */
export class Trash {
  private count = 0
  private made?: Promise<unknown>

  constructor (private readonly dir: string) {}

  /** Moves `path` out of the way (nothing happens when it is not there). */
  async discard (path: string): Promise<void> {
    this.made ??= mkdir(this.dir, { recursive: true })
    await this.made
    try {
      await rename(path, join(this.dir, String(this.count++)))
    } catch (err: any) {
      if (err.code === 'ENOENT') return
      await rm(path, { recursive: true, force: true, maxRetries: 3 })
    }
  }
}
