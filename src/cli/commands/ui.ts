import { spawn } from 'node:child_process'
import { nodeConfigFrom } from '../session.js'
import { NoNodeRunningError } from '../session.js'
import { ControlClient } from '../../control/client.js'
import type { CommonOptions } from '../session.js'
import type { Output } from '../output.js'

export interface UiOptions extends CommonOptions {
  print?: boolean
}

/**
 * `fsnode ui`: a one-time login URL for the browser UI from the running node (control method
 * uiLogin), printed, and opened with xdg-open unless --print. The code works once, within 60 s.
 */
export async function runUi (opts: UiOptions, out: Output): Promise<void> {
  const config = nodeConfigFrom(opts)
  const client = ControlClient.forDataDir(config.dataDir)
  if (!(await client.available())) throw new NoNodeRunningError(`no node is running on ${config.dataDir}; start one with: fsnode start --data-dir ${config.dataDir}`)
  const login = await client.call('uiLogin')
  if (opts.json === true) out.json(login)
  else out.print(login.url)
  if (opts.print !== true) openInBrowser(login.url)
}

/** Best effort: a machine without a desktop still has the printed URL. */
function openInBrowser (url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
  } catch {}
}
