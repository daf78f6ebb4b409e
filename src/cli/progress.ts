import { createRequire } from 'node:module'
import { formatBytes, formatDuration, formatRate } from './format.js'
import type { ProgressEvent } from '../node/api.js'
import type cliProgress from 'cli-progress'

// loaded with the first bar (a CommonJS package: require() is synchronous): 16 modules that
// `fsnode start` and every command without a terminal bar never use
const load = (): typeof cliProgress => createRequire(import.meta.url)('cli-progress')

/**
 * A progress bar on stderr when it is a terminal (bytes, rate, ETA, peers); nothing otherwise,
 * so scripts and `--json` output stay clean.
 */
export class ProgressDisplay {
  private bar?: cliProgress.SingleBar
  private started = false

  constructor (private readonly label: string, private readonly enabled = process.stderr.isTTY === true) {}

  update (e: ProgressEvent): void {
    if (!this.enabled) return
    const eta = e.rate > 0 ? (e.bytesTotal - e.bytesDone) / e.rate : Number.POSITIVE_INFINITY
    const payload = {
      done: formatBytes(e.bytesDone),
      totalText: formatBytes(e.bytesTotal),
      rate: formatRate(e.rate),
      etaText: formatDuration(eta),
      peers: e.peers,
      files: e.filesTotal != null ? ` files ${e.filesDone ?? 0}/${e.filesTotal}` : ''
    }
    if (!this.started) {
      const { SingleBar, Presets } = load()
      this.bar = new SingleBar({
        stream: process.stderr,
        format: `${this.label} [{bar}] {percentage}% {done}/{totalText} {rate} ETA {etaText} peers {peers}{files}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false
      }, Presets.shades_classic)
      this.bar.start(Math.max(e.bytesTotal, 1), e.bytesDone, payload)
      this.started = true
    }
    this.bar?.setTotal(Math.max(e.bytesTotal, 1))
    this.bar?.update(e.bytesDone, payload)
  }

  stop (): void {
    if (this.started) this.bar?.stop()
    this.started = false
  }
}
