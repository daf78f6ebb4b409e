import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * What a test or benchmark made (hosts, processes, folders), undone in reverse order by
 * `cleanup()`; one failing undo does not keep the others from running.
 */
export class Teardown {
  private readonly undo: Array<() => Promise<void> | void> = []

  defer (fn: () => Promise<void> | void): void {
    this.undo.push(fn)
  }

  /** A fresh folder under the system's temp folder, removed on cleanup. */
  async tmpDir (prefix = 'fsnode-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.defer(async () => { await rm(dir, { recursive: true, force: true }) })
    return dir
  }

  async cleanup (): Promise<void> {
    while (this.undo.length > 0) {
      try { await this.undo.pop()?.() } catch {}
    }
  }
}
