import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { open } from 'node:fs/promises'
import { Manifest, chunkCount } from '../../src/wire/file-manifest.js'
import { chunkSizeFor } from '../../src/share/chunk-size.js'

/** The file id of a file, computed here independently of the share index's hasher. */
export async function expectedFileId (path: string): Promise<string> {
  const data = await readFile(path)
  const chunkSize = chunkSizeFor(data.byteLength)
  const n = chunkCount(data.byteLength, chunkSize)
  const hashes = new Uint8Array(n * 32)
  for (let i = 0; i < n; i++) {
    hashes.set(createHash('sha256').update(data.subarray(i * chunkSize, (i + 1) * chunkSize)).digest(), i * 32)
  }
  return Manifest.create(data.byteLength, chunkSize, hashes).fileId.toString()
}

export async function writeText (path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}

/** A file of random bytes, written in pieces so large files need little memory. */
export async function writeRandom (path: string, size: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const fh = await open(path, 'w')
  try {
    for (let off = 0; off < size; off += 4 * 1024 * 1024) {
      await fh.write(randomBytes(Math.min(4 * 1024 * 1024, size - off)))
    }
  } finally {
    await fh.close()
  }
}

export async function sha256File (path: string): Promise<string> {
  const h = createHash('sha256')
  const fh = await open(path)
  try {
    for await (const chunk of fh.createReadStream()) h.update(chunk)
  } finally {
    await fh.close().catch(() => {})
  }
  return h.digest('hex')
}
