import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { SENT } from './one-reader-child.js'

const MiB = 1024 * 1024

/** Bytes a circuit held after SENT bytes, measured in a fresh process (one-reader-child.ts). */
async function held (how: 'fix' | 'library'): Promise<number> {
  const script = fileURLToPath(new URL('./one-reader-child.js', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [script, how], { timeout: 60_000 })
  return JSON.parse(stdout).held
}

describe('relay: a circuit joined by the relay library holds nothing it has passed on', function () {
  this.timeout(120_000)

  it('without the fix the pipe keeps every byte from the dialling side; with it, none', async () => {
    // one after the other: neither counts while the other loads the cores
    const fixed = await held('fix')
    const leaked = await held('library')
    console.log(`      held after relaying ${SENT / MiB} MiB: ${(leaked / MiB).toFixed(1)} MiB as the library joins them, ${(fixed / MiB).toFixed(1)} MiB with oneReaderFromHere`)
    assert.ok(leaked >= SENT * 0.9, `the library's second reader held ${leaked} bytes`)
    // counted after the sweeper is done (one-reader-child.ts): 0.2 MiB here, also with the cores
    // busy; the library's second reader holds all 32
    assert.ok(fixed < 4 * MiB, `${fixed} bytes held with the fix`)
  })
})
