import { chmod, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { generateNetworkKey } from '../../host/pnet.js'
import type { Output } from '../output.js'

export interface NetworkKeyOptions {
  out?: string
  json?: boolean
}

export class KeyFileExistsError extends Error {
  static readonly code = 'KeyFileExistsError'
  override name = 'KeyFileExistsError'
}

/** `fsnode network-key`: a new private-network key, printed or written to a 0600 file. */
export async function runNetworkKey (opts: NetworkKeyOptions, out: Output): Promise<void> {
  const key = generateNetworkKey()
  if (opts.out == null) {
    if (opts.json === true) out.json({ key })
    else out.print(key.replace(/\n$/, ''))
    return
  }
  const path = resolve(opts.out)
  try {
    // 'wx': never replace a key a network may already use
    await writeFile(path, key, { mode: 0o600, flag: 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') throw new KeyFileExistsError(`${path} already exists; not overwriting a network key`)
    throw err
  }
  await chmod(path, 0o600) // whatever the umask
  if (opts.json === true) out.json({ path })
  else out.print(`wrote a network key to ${path} (mode 0600); copy it to every machine of the network and set node.networkKey and coordinator.networkKey to its path`)
}
