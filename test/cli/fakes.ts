import { join } from 'node:path'
import type { Output, ProgressSink } from '../../src/cli/output.js'
import type { CommandContext } from '../../src/cli/commands/context.js'
import type { BandwidthLimits, GetOptions, GetResult, LimitChange, NetworkFile, NodeApi, ProgressEvent, StatusInfo } from '../../src/node/api.js'

/** A fake node and a capturing output, to run the CLI's commands without a network or a process. */

export function file (name: string, size = 2048): NetworkFile {
  return { name, fileId: `bafkreifake${name.length}x${size}`, size, mtime: 0, providers: [{ peerId: '12D3KooWfake', addrs: [], online: true }] }
}

export const FILES = [file('holiday photos/beach sunset.txt', 20), file('holiday photos/pier.jpg', 4096), file('notes.md', 8)]

export const STATUS: StatusInfo = {
  running: true,
  peerId: '12D3KooWself',
  dataDir: '/data',
  addrs: ['/ip4/127.0.0.1/tcp/4001'],
  coordinators: [{ addr: '/ip4/127.0.0.1/tcp/7870/p2p/12D3KooWcoord', connected: true }],
  embeddedCoordinator: false,
  peers: 3,
  downloads: []
}

/** A NodeApi that records its calls; get is replaceable per test. */
export class FakeNode implements NodeApi {
  calls: Array<[string, ...unknown[]]> = []
  files = FILES
  closed = false
  limits: BandwidthLimits = { upload: 0, download: 0, limitLan: false }
  getImpl = async (target: string, options: GetOptions): Promise<GetResult> => {
    options.onProgress?.({ bytesDone: 10, bytesTotal: 20, peers: 1, rate: 100 })
    options.onProgress?.({ bytesDone: 20, bytesTotal: 20, peers: 1, rate: 100 })
    return { fileId: 'bafkreiabc', name: target, size: 20, path: join(options.out ?? '/dl', target), seconds: 0.2, bytesPerSecond: 100, providers: ['12D3KooWfake'] }
  }

  async status (): Promise<StatusInfo> { this.calls.push(['status']); return STATUS }
  async ls (options: { path?: string, signal?: AbortSignal } = {}): Promise<NetworkFile[]> {
    const { signal: _signal, ...recorded } = options
    this.calls.push(['ls', recorded])
    return this.files.filter(f => options.path == null || f.name.startsWith(options.path))
  }

  async search (text: string): Promise<NetworkFile[]> { this.calls.push(['search', text]); return this.files.filter(f => f.name.includes(text)) }
  async get (target: string, options: GetOptions = {}): Promise<GetResult> { this.calls.push(['get', target, options.out]); return await this.getImpl(target, options) }
  async share (path: string): Promise<{ path: string, files: number }> { this.calls.push(['share', path]); return { path, files: 2 } }
  async unshare (path: string): Promise<{ path: string, files: number }> { this.calls.push(['unshare', path]); return { path, files: 2 } }
  async limit (change: LimitChange): Promise<BandwidthLimits> {
    this.calls.push(['limit', change])
    const { perPeer, ...node } = change
    this.limits = { ...this.limits, ...Object.fromEntries(Object.entries(node).filter(([, v]) => v !== undefined)) }
    // as the node does: a per-peer limit not given stays (0 = none)
    if (perPeer != null) this.limits.perPeer = { upload: perPeer.upload ?? this.limits.perPeer?.upload ?? 0, download: perPeer.download ?? this.limits.perPeer?.download ?? 0 }
    return this.limits
  }

  async close (): Promise<void> { this.closed = true }
}

/** get that only ends when cancelled, as a real download would be mid-way. */
export async function untilCancelled (_target: string, options: GetOptions): Promise<GetResult> {
  options.onProgress?.({ bytesDone: 5, bytesTotal: 20, peers: 1, rate: 1 })
  return await new Promise((_resolve, reject) => {
    options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
  })
}

export interface Bar { label: string, events: ProgressEvent[], stopped: boolean }

/** An Output that keeps what it is given: printed lines, JSON values, progress bars. */
export class CapturedOutput implements Output {
  lines: string[] = []
  values: unknown[] = []
  bars: Bar[] = []

  print = (text: string): void => { this.lines.push(...text.split('\n')) }
  json = (value: unknown): void => { this.values.push(value) }
  progress = (label: string): ProgressSink => {
    const bar: Bar = { label, events: [], stopped: false }
    this.bars.push(bar)
    return { update: e => { bar.events.push(e) }, stop: () => { bar.stopped = true } }
  }

  get text (): string { return this.lines.join('\n') }
}

export function commandContext (node: NodeApi, signal = new AbortController().signal): CommandContext & { out: CapturedOutput } {
  return { node, out: new CapturedOutput(), signal, cwd: '/work/here' }
}
