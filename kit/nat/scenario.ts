import { appendFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../harness.js'
import { ControlClient } from '../../src/control/client.js'
import type { Daemon, RunResult } from '../harness.js'
import { COORD_IP, NatLab } from './netns.js'
import type { Site } from './netns.js'

/** A request on a node's control socket (status, ls) must be answered within this long. */
const STATUS_TIMEOUT = 10_000

/** One lab (see netns.ts), a coordinator on its public segment, and fsnode nodes in its sites;
 * every node's files under `<dir>/<name>/`. */
export class NatScenario {
  readonly daemons = new Map<string, { site: Site, daemon: Daemon }>()
  coordinator?: Daemon
  private coordinatorConfig?: object

  private constructor (readonly lab: NatLab, readonly dir: string) {}

  static async create (): Promise<NatScenario> {
    const dir = await mkdtemp(join(tmpdir(), 'fsnode-nat-'))
    try {
      return new NatScenario(await NatLab.create(), dir)
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  /** The coordinator as the nodes reach it. */
  get coordAddr (): string {
    if (this.coordinator == null) throw new Error('no coordinator')
    return `/ip4/${COORD_IP}/tcp/7870/p2p/${this.coordinator.peerId}`
  }

  /** Start (or restart, same key and index) the coordinator, with `coordinator` as its
   * config.json section. */
  async startCoordinator (coordinator?: object): Promise<Daemon> {
    if (coordinator != null) this.coordinatorConfig = coordinator
    const config = join(this.dir, 'coordinator.json')
    await writeFile(config, JSON.stringify({ coordinator: this.coordinatorConfig ?? {} }))
    await this.saveLog('coordinator', this.coordinator)
    this.coordinator = await this.lab.daemon('inet', ['coordinator', '--config', config, '--data-dir', join(this.dir, 'coord'),
      '--listen', '/ip4/0.0.0.0/tcp/7870'], this.dir, process.env.NAT_DEBUG != null ? { DEBUG: process.env.NAT_DEBUG } : {})
    return this.coordinator
  }

  home (name: string, ...rest: string[]): string {
    return join(this.dir, name, ...rest)
  }

  dataDir (name: string): string {
    return this.home(name, 'data')
  }

  /** The peer id a node will have (its key is created now). */
  async peerId (name: string): Promise<string> {
    return (await this.lab.json('inet', ['id', '--data-dir', this.dataDir(name)], this.dir)).peerId
  }

  async startNode (site: Site, name: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Daemon> {
    await mkdir(this.home(name, 'shared'), { recursive: true })
    // NAT_DEBUG=fsnode:*,libp2p:circuit-relay* keeps each daemon's log in <tmp>/fsnode-nat-<name>.log
    if (process.env.NAT_DEBUG != null) env = { DEBUG: process.env.NAT_DEBUG, ...env }
    const d = await this.lab.daemon(site, ['start', '--data-dir', this.dataDir(name), '--share', this.home(name, 'shared'),
      '--downloads', this.home(name, 'downloads'), '--listen', '/ip4/0.0.0.0/tcp/0', '--coordinator', this.coordAddr, ...extra], this.dir, env)
    this.daemons.set(name, { site, daemon: d })
    return d
  }

  private siteOf (name: string): Site {
    const s = this.daemons.get(name)?.site
    if (s == null) throw new Error(`no node ${name}`)
    return s
  }

  /** `fsnode ARGS --data-dir <name's> --json` in the node's site. */
  async json<T = any> (name: string, args: string[], timeoutMs?: number): Promise<T> {
    return await this.lab.json(this.siteOf(name), [...args, '--data-dir', this.dataDir(name)], this.dir, {}, timeoutMs)
  }

  async run (name: string, args: string[], timeoutMs?: number): Promise<RunResult> {
    return await this.lab.run(this.siteOf(name), [...args, '--data-dir', this.dataDir(name)], this.dir, {}, timeoutMs)
  }

  /** The Prometheus text of a running node's GET /metrics, fetched inside its namespace. */
  async metrics (name: string): Promise<string> {
    const s = await this.status(name)
    return await this.lab.httpGet(this.siteOf(name), `${String(s.api?.url ?? s.apiUrl)}/metrics`)
  }

  /** `fsnode status --json` of a running node, asked on its control socket (a file: reachable
   * from outside its namespace) rather than by a new process each time, which on a loaded
   * machine takes seconds: a poll of progress would miss a transfer of a few seconds. */
  async status (name: string): Promise<any> {
    return await this.ask(name, 'status')
  }

  /** A control method of a running node (`status`, `ls`), asked on its socket. */
  async ask (name: string, method: string, params: Record<string, unknown> = {}): Promise<any> {
    this.siteOf(name)
    return await ControlClient.forDataDir(this.dataDir(name)).callUnchecked(method, params, { signal: AbortSignal.timeout(STATUS_TIMEOUT) })
  }

  /** Wait until `name` holds a relay reservation and announces its relayed address. */
  async relayed (name: string): Promise<any> {
    return await waitFor(async () => {
      const st = await this.status(name)
      return st.reachability?.mode === 'relayed' && st.addrs.some((x: string) => x.includes('/p2p-circuit')) ? st : undefined
    }, `${name} to hold a relay reservation`, 60_000)
  }

  /** Wait until `name`'s ls shows `file` from a provider whose addresses satisfy `addrs`. */
  async sees (name: string, file: string, addrs: (a: string[]) => boolean = () => true): Promise<void> {
    await waitFor(async () => {
      const ls = await this.ask(name, 'ls')
      return ls.some((f: any) => f.name === file && f.providers.some((p: any) => addrs(p.addrs)))
    }, `${file} in ${name}'s ls`, 60_000)
  }

  private async saveLog (name: string, d?: Daemon): Promise<void> {
    if (process.env.NAT_DEBUG == null || d == null) return
    await appendFile(join(tmpdir(), `fsnode-nat-${name}.log`), d.stderr)
  }

  async destroy (): Promise<void> {
    for (const [name, { daemon }] of [...this.daemons.entries()].reverse()) {
      await daemon.stop().catch(() => {})
      await this.saveLog(name, daemon)
    }
    await this.coordinator?.stop().catch(() => {})
    await this.saveLog('coordinator', this.coordinator)
    await this.lab.destroy()
    await rm(this.dir, { recursive: true, force: true })
  }
}
