import type { ControlClient } from '../control/client.js'
import type { MethodName } from '../control/methods.js'
import type {
  BandwidthLimits, CallOptions, DaemonApi, Download, GetOptions, GetResult, LimitChange, NetworkFile, PeerInfo, ShareChange, ShareEntry, StatusInfo, UiLogin
} from './api.js'

/** The running node on this data dir, reached through its control socket: each method is one
 * typed call of the method map (src/control/methods.ts). */
export class RemoteNode implements DaemonApi {
  constructor (private readonly client: ControlClient) {}

  async status (options: CallOptions = {}): Promise<StatusInfo> {
    return await this.client.call('status', {}, options)
  }

  async ls (options: { path?: string } & CallOptions = {}): Promise<NetworkFile[]> {
    return await this.client.call('ls', { path: options.path }, options)
  }

  async search (text: string, options: CallOptions = {}): Promise<NetworkFile[]> {
    return await this.client.call('search', { text }, options)
  }

  async get (target: string, options: GetOptions = {}): Promise<GetResult> {
    return await this.client.call('get', { target, out: options.out }, { signal: options.signal, onProgress: options.onProgress })
  }

  async download (target: string, options: { out?: string } & CallOptions = {}): Promise<Download> {
    return await this.client.call('download', { target, out: options.out }, options)
  }

  async downloads (options: CallOptions = {}): Promise<Download[]> {
    return await this.client.call('downloads', {}, options)
  }

  async cancel (id: string, options: CallOptions = {}): Promise<Download> {
    return await this.client.call('cancel', { id }, options)
  }

  async shares (options: CallOptions = {}): Promise<ShareEntry[]> {
    return await this.client.call('shares', {}, options)
  }

  async share (path: string, options: CallOptions = {}): Promise<ShareChange> {
    return await this.client.call('share', { path }, options)
  }

  async unshare (path: string, options: CallOptions = {}): Promise<ShareChange> {
    return await this.client.call('unshare', { path }, options)
  }

  async peers (options: CallOptions = {}): Promise<PeerInfo[]> {
    return await this.client.call('peers', {}, options)
  }

  async limits (options: CallOptions = {}): Promise<BandwidthLimits> {
    return await this.client.call('limits', {}, options)
  }

  async limit (change: LimitChange, options: CallOptions = {}): Promise<BandwidthLimits> {
    return await this.client.call('limit', { upload: change.upload, download: change.download, perPeer: change.perPeer }, options)
  }

  async uiLogin (options: CallOptions = {}): Promise<UiLogin> {
    return await this.client.call('uiLogin', {}, options)
  }

  async close (): Promise<void> {}
}

/** Every method of the map is a DaemonApi method of the same name (a compile error otherwise). */
type EveryMethodOnTheApi = Exclude<MethodName, keyof DaemonApi> extends never ? true : never
const everyMethodOnTheApi: EveryMethodOnTheApi = true
void everyMethodOnTheApi
