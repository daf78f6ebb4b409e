import { createHash, randomFillSync } from 'node:crypto'
import { link, mkdir, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { MiB } from './units.js'

/** Write granularity for generated files. */
const WRITE_BLOCK = 4 * MiB
/** Read granularity when hashing (the same 4 MiB reads the sha256 baseline uses). */
export const HASH_READ_BLOCK = 4 * MiB

/**
 * Write `size` bytes of fresh random data (every block different, so no chunk repeats and
 * nothing compresses or deduplicates). Returns the file's sha256 in hex.
 */
export async function writeRandomFile (path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  const fh = await open(path, 'w')
  const hash = createHash('sha256')
  try {
    let written = 0
    while (written < size) {
      const n = Math.min(WRITE_BLOCK, size - written)
      // a new buffer each time: fh.write may still hold the previous one
      const block = randomFillSync(Buffer.allocUnsafe(n))
      hash.update(block)
      await fh.write(block, 0, n)
      written += n
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}

/** sha256 of a file, streamed in 4 MiB reads. */
export async function sha256File (path: string): Promise<string> {
  const fh = await open(path, 'r')
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(HASH_READ_BLOCK)
  try {
    while (true) {
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}

export interface FileSet {
  dir: string
  /** Paths relative to dir. */
  files: string[]
  bytes: number
}

/**
 * `count` random files of `size` bytes under `dir`, `perFolder` to a folder
 * (dir/d000/<prefix>-00000.bin ...).
 */
export async function writeFileSet (dir: string, count: number, size: number, prefix: string, perFolder = 100): Promise<FileSet> {
  const files: string[] = []
  for (let i = 0; i < count; i++) {
    const folder = `d${String(Math.floor(i / perFolder)).padStart(3, '0')}`
    if (i % perFolder === 0) await mkdir(join(dir, folder), { recursive: true })
    const rel = join(folder, `${prefix}-${String(i).padStart(5, '0')}.bin`)
    const fh = await open(join(dir, rel), 'w')
    try {
      await fh.write(randomFillSync(Buffer.allocUnsafe(size)))
    } finally {
      await fh.close()
    }
    files.push(rel)
  }
  return { dir, files, bytes: count * size }
}

/** Put the same file in another folder without copying its bytes (a hard link). */
export async function linkInto (source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true })
  await link(source, target)
}
