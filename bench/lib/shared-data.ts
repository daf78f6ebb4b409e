import { join } from 'node:path'
import { writeRandomFile } from './data.js'
import { formatSize } from './units.js'
import { now } from './time.js'
import type { DataFile } from './types.js'

/** Random files created once per bench run and shared by the cases that need the same size. */
export class SharedData {
  private readonly files = new Map<number, Promise<DataFile>>()

  constructor (private readonly dir: string, private readonly log: (line: string) => void) {}

  async randomFile (size: number): Promise<DataFile> {
    let file = this.files.get(size)
    if (file == null) {
      file = this.create(size)
      this.files.set(size, file)
      file.catch(() => this.files.delete(size))
    }
    return await file
  }

  private async create (size: number): Promise<DataFile> {
    const path = join(this.dir, `random-${size}.bin`)
    const t = now()
    const sha256 = await writeRandomFile(path, size)
    this.log(`  data: ${formatSize(size)} random file written in ${((now() - t) / 1000).toFixed(1)} s`)
    return { path, size, sha256 }
  }
}
