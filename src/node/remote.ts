import type { ControlClient } from '../control/client.js'
import type { BandwidthLimits, GetOptions, GetResult, LimitChange, NetworkFile, NodeApi, StatusInfo } from './api.js'

/** The running node on this data dir, reached through its control socket. */
export class RemoteNode implements NodeApi {
  constructor (private readonly client: ControlClient) {}

  async status (): Promise<StatusInfo> {
    return await this.client.call('status')
  }

  async ls (options: { path?: string } = {}): Promise<NetworkFile[]> {
    return await this.client.call('ls', { path: options.path })
  }

  async search (text: string): Promise<NetworkFile[]> {
    return await this.client.call('search', { text })
  }

  async get (target: string, options: GetOptions = {}): Promise<GetResult> {
    return await this.client.call('get', { target, out: options.out }, { signal: options.signal, onProgress: options.onProgress })
  }

  async share (path: string): Promise<{ path: string, files: number }> {
    return await this.client.call('share', { path })
  }

  async unshare (path: string): Promise<{ path: string, files: number }> {
    return await this.client.call('unshare', { path })
  }

  async limit (change: LimitChange): Promise<BandwidthLimits> {
    return await this.client.call('limit', { upload: change.upload, download: change.download })
  }

  async close (): Promise<void> {}
}
