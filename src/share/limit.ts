/** Runs at most `concurrency` tasks at once; the rest wait in order. */
export class Limiter {
  private active = 0
  private readonly queue: Array<() => void> = []
  private readonly idleWaiters: Array<() => void> = []
  private readonly roomWaiters: Array<{ below: number, resolve: () => void }> = []

  constructor (private readonly concurrency: number) {}

  /** Tasks running or waiting. */
  get size (): number {
    return this.active + this.queue.length
  }

  async run<T> (fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      await new Promise<void>(resolve => this.queue.push(resolve))
    } else {
      this.active++
    }
    try {
      return await fn()
    } finally {
      this.release()
    }
  }

  /** Resolves once fewer than `below` tasks are running or waiting. */
  async room (below: number): Promise<void> {
    if (this.size < below) return
    await new Promise<void>(resolve => this.roomWaiters.push({ below, resolve }))
  }

  /** Resolves once nothing runs or waits. */
  async idle (): Promise<void> {
    if (this.size === 0) return
    await new Promise<void>(resolve => this.idleWaiters.push(resolve))
  }

  private release (): void {
    const next = this.queue.shift()
    if (next != null) next() // the slot passes to the next task
    else this.active--
    for (let i = this.roomWaiters.length - 1; i >= 0; i--) {
      const w = this.roomWaiters[i]
      if (this.size < w.below) {
        this.roomWaiters.splice(i, 1)
        w.resolve()
      }
    }
    if (this.size === 0) this.idleWaiters.splice(0).forEach(resolve => { resolve() })
  }
}
