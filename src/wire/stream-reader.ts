import { Uint8ArrayList } from 'uint8arraylist'
import { READ_HIGH_WATER } from './constants.js'
import { FrameTooLargeError, InvalidMessageError, StreamResetError, UnexpectedEOFError } from './errors.js'
import type { Stream, StreamMessageEvent, StreamCloseEvent } from '@libp2p/interface'

export interface StreamReaderInit {
  /** Unread bytes buffered before the stream is paused. @default READ_HIGH_WATER */
  highWater?: number
}

/**
 * Pull-style reads from a libp2p 3 stream with real backpressure.
 *
 * `for await (const chunk of stream)` applies none (yamux grants window as data arrives), and
 * `for await` + `pause()` loses the tail of a stream. What holds up under load: a `message`
 * listener that buffers, pauses the stream while more than `highWater` bytes are unread,
 * resumes once the consumer has drained them, and treats `end`/`close` as the only EOF.
 */
export class StreamReader {
  private readonly buffer = new Uint8ArrayList()
  private readonly highWater: number
  private ended = false
  private failure?: Error
  private wake?: () => void
  /** True inside stream.resume(): it dispatches buffered data to onMessage synchronously, and
   * a pause() there is undone by resume() itself (yamux state back to Established, window
   * granted) while readStatus stays 'paused': libp2p then buffers past maxReadBufferLength. */
  private resuming = false

  constructor (private readonly stream: Stream, init: StreamReaderInit = {}) {
    this.highWater = init.highWater ?? READ_HIGH_WATER
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    // 'end' fires once: a remote that closed its side while the protocol was still being
    // negotiated (before this reader existed) is only visible in readableEnded, and waiting
    // for the event hung the reader until the caller's timeout
    if (stream.readStatus === 'closed' || stream.readableEnded) this.ended = true
  }

  /** Bytes received and not yet read. */
  get buffered (): number {
    return this.buffer.byteLength
  }

  /** True when readLp would not wait: a whole length-prefixed frame is buffered (or a length
   * prefix it would refuse at once). */
  hasFrame (): boolean {
    let length = 0
    for (let i = 0; i < this.buffer.byteLength; i++) {
      if (i === 5) return true
      const byte = this.buffer.get(i)
      length += (byte & 0x7f) * 2 ** (7 * i)
      if ((byte & 0x80) === 0) return this.buffer.byteLength >= i + 1 + length
    }
    return false
  }

  /** True once the remote closed its side and every byte was read. */
  get done (): boolean {
    return this.ended && this.buffer.byteLength === 0
  }

  private readonly onMessage = (evt: StreamMessageEvent): void => {
    this.buffer.append(evt.data)
    if (!this.resuming && this.buffer.byteLength >= this.highWater && this.stream.readStatus === 'readable') {
      try { this.stream.pause() } catch {}
    }
    this.notify()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.notify()
  }

  private readonly onClose = (evt: StreamCloseEvent): void => {
    if (evt.error != null && this.failure == null) {
      this.failure = evt.local === true ? evt.error : new StreamResetError(`stream reset by remote: ${evt.error.message}`)
    }
    this.ended = true
    this.notify()
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private maybeResume (): void {
    if (this.buffer.byteLength < this.highWater && this.stream.readStatus === 'paused') this.resume()
  }

  /** Resume, then pause again if what resume() dispatched took us over high water. */
  private resume (): void {
    this.resuming = true
    try { this.stream.resume() } catch {} finally { this.resuming = false }
    if (this.buffer.byteLength >= this.highWater && this.stream.readStatus === 'readable') {
      try { this.stream.pause() } catch {}
    }
  }

  /** Wait until at least `n` bytes are buffered. */
  private async fill (n: number, signal?: AbortSignal): Promise<void> {
    while (this.buffer.byteLength < n) {
      if (this.failure != null) throw this.failure
      if (this.ended) {
        throw new UnexpectedEOFError(`stream ended after ${this.buffer.byteLength} of ${n} expected bytes`)
      }
      signal?.throwIfAborted()
      // the consumer asks for more than is buffered: let data flow even above high water
      if (this.stream.readStatus === 'paused') {
        this.resuming = true
        try { this.stream.resume() } catch {} finally { this.resuming = false }
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => { this.wake = undefined; reject(signal?.reason) }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.wake = () => { signal?.removeEventListener('abort', onAbort); resolve() }
      })
    }
  }

  /** Read exactly `n` bytes. */
  async readExact (n: number, signal?: AbortSignal): Promise<Uint8ArrayList> {
    await this.fill(n, signal)
    const out = this.buffer.sublist(0, n)
    this.buffer.consume(n)
    this.maybeResume()
    return out
  }

  /**
   * Read up to `max` bytes as soon as any are available, for streaming a body to disk without
   * holding it whole. Returns null at a clean end of stream.
   */
  async readSome (max: number, signal?: AbortSignal): Promise<Uint8ArrayList | null> {
    if (this.buffer.byteLength === 0) {
      try {
        await this.fill(1, signal)
      } catch (err) {
        if (err instanceof UnexpectedEOFError) return null
        throw err
      }
    }
    const n = Math.min(max, this.buffer.byteLength)
    const out = this.buffer.sublist(0, n)
    this.buffer.consume(n)
    this.maybeResume()
    return out
  }

  /**
   * Read one varint length-prefixed frame. Returns null if the stream ends cleanly before the
   * first byte of a frame; throws FrameTooLargeError before reading a body over `maxLength`.
   */
  async readLp (maxLength: number, signal?: AbortSignal): Promise<Uint8ArrayList | null> {
    let length = 0
    for (let i = 0; ; i++) {
      if (i === 0 && this.buffer.byteLength === 0) {
        try {
          await this.fill(1, signal)
        } catch (err) {
          if (err instanceof UnexpectedEOFError) return null
          throw err
        }
      } else {
        await this.fill(1, signal)
      }
      const byte = this.buffer.get(0)
      this.buffer.consume(1)
      if (i === 4 && byte > 0x0f) throw new InvalidMessageError('frame length varint is too long')
      length += (byte & 0x7f) * 2 ** (7 * i)
      if (length > maxLength) {
        throw new FrameTooLargeError(`frame of ${length > 2 ** 31 ? 'over 2 GiB' : `${length} bytes`} exceeds the limit of ${maxLength} bytes`)
      }
      if ((byte & 0x80) === 0) break
    }
    return await this.readExact(length, signal)
  }

  /** Stop listening; unread data is dropped. */
  release (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
    this.buffer.consume(this.buffer.byteLength)
  }
}
