import { logger } from '@libp2p/logger'
import { PROGRESS_INTERVAL, RATE_WINDOW } from './constants.js'

const log = logger('fsnode:transfer')

/** What a download reports to its caller (a progress bar, the control channel). */
export interface DownloadProgress {
  /** Verified bytes on disk, resumed ones included. */
  bytesDone: number
  bytesTotal: number
  /** Providers still taking part. */
  peers: number
  /** Bytes per second over the last few seconds. */
  rate: number
}

/** Rate-limited progress events (a timer, so a fast download does not flood the caller)
 * with a rate measured over a sliding window. */
export class Progress {
  private done: number
  private readonly samples: Array<[time: number, bytes: number]> = []
  private timer?: NodeJS.Timeout

  constructor (
    private readonly total: number,
    resumed: number,
    private readonly onProgress?: (e: DownloadProgress) => void,
    private readonly interval = PROGRESS_INTERVAL
  ) {
    this.done = resumed
  }

  add (bytes: number): void {
    this.done += bytes
  }

  start (peers: () => number): void {
    if (this.onProgress == null) return
    this.samples.push([Date.now(), this.done])
    this.timer = setInterval(() => { this.emit(peers()) }, this.interval)
    this.timer.unref()
  }

  /** Stop the timer and send a last event. */
  stop (): void {
    if (this.timer == null) return
    clearInterval(this.timer)
    this.timer = undefined
    this.emit(0)
  }

  private emit (peers: number): void {
    const now = Date.now()
    this.samples.push([now, this.done])
    while (this.samples.length > 2 && now - this.samples[0][0] > RATE_WINDOW) this.samples.shift()
    const [t0, b0] = this.samples[0]
    const rate = now > t0 ? (this.done - b0) / (now - t0) * 1000 : 0
    try {
      this.onProgress?.({ bytesDone: this.done, bytesTotal: this.total, peers, rate })
    } catch (err: any) {
      log.error('progress callback threw: %s', err.message)
    }
  }
}
