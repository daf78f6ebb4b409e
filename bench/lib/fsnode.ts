// Running the real fsnode CLI (bin/fsnode.js under this Node 24) for the fsnode cases. Every
// command runs with its cwd in a scratch folder (so no ./config.json is picked up), no FSNODE_*
// variables, no mDNS, and HOME and XDG dirs inside the scratch folder (so no user config either).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Child, REPO_ROOT, cleanEnv } from './proc.js'
import { now, waitUntil } from './time.js'
import type { GetResult, NetworkFile, NodeApi, StatusInfo } from '../../src/node/api.js'

export const FSNODE_BIN = join(REPO_ROOT, 'bin', 'fsnode.js')
export const LISTEN_LOCAL = '/ip4/127.0.0.1/tcp/0'
const API_LISTEN_LOCAL = '127.0.0.1:0'
const COMMAND_TIMEOUT_MS = 10 * 60_000
const DAEMON_READY_TIMEOUT_MS = 5 * 60_000

export interface FsnodeOptions {
  /** The scratch folder: cwd and XDG home of the command. */
  home: string
  timeoutMs?: number
}

export interface FsnodeRun {
  code: number | null
  stdout: string
  stderr: string
  /** Wall time from spawn to exit. */
  seconds: number
}

export function fsnodeEnv (home: string): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: home,
    // no LAN discovery: a bench's nodes must not find other fsnode nodes on the machine
    FSNODE_MDNS: '0',
    XDG_CONFIG_HOME: join(home, '.xdg', 'config'),
    XDG_DATA_HOME: join(home, '.xdg', 'data'),
    XDG_CACHE_HOME: join(home, '.xdg', 'cache'),
    XDG_STATE_HOME: join(home, '.xdg', 'state')
  })
}

/** Node options for every fsnode process the bench starts, e.g. `BENCH_NODE_ARGS='--cpu-prof
 * --cpu-prof-dir=/tmp/prof'` (Node refuses --cpu-prof in NODE_OPTIONS). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(a => a !== '')

function spawnFsnode (args: string[], options: FsnodeOptions): Child {
  return new Child(`fsnode ${args[0] ?? ''}`.trim(), [...NODE_ARGS, FSNODE_BIN, ...args], {
    cwd: options.home,
    env: fsnodeEnv(options.home),
    timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS
  })
}

/** `process.execPath bin/fsnode.js ...args` to completion. */
export async function runFsnode (args: string[], options: FsnodeOptions): Promise<FsnodeRun> {
  const start = now()
  const child = spawnFsnode(args, options)
  const code = await child.exited
  return { code, stdout: child.stdout, stderr: child.stderr, seconds: (now() - start) / 1000 }
}

/** The JSON a command printed (pretty-printed or not): the text from the first { or [. */
export function parseJsonOutput<T> (stdout: string): T | undefined {
  const start = stdout.search(/[{[]/)
  if (start === -1) return undefined
  try {
    return JSON.parse(stdout.slice(start)) as T
  } catch {
    return undefined
  }
}

/** Run a command with --json; it must exit 0 and print JSON. */
export async function fsnodeJson<T> (args: string[], options: FsnodeOptions): Promise<{ value: T, seconds: number }> {
  const r = await runFsnode([...args, '--json'], options)
  const what = `fsnode ${args.join(' ')}`
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${lastLine(r.stderr)}`)
  const value = parseJsonOutput<T>(r.stdout)
  if (value === undefined) throw new Error(`${what} printed no JSON: ${r.stdout.slice(0, 200)}`)
  return { value, seconds: r.seconds }
}

function lastLine (text: string): string {
  return text.trim().split('\n').filter(l => l.trim() !== '').slice(-1)[0] ?? '(nothing on stderr)'
}

export interface DaemonInfo {
  peerId: string
  addrs: string[]
  [key: string]: unknown
}

/** A long-running `fsnode start` or `fsnode coordinator`. */
export class FsnodeDaemon {
  private remote?: NodeApi

  constructor (readonly child: Child, readonly info: DaemonInfo, readonly dataDir: string, readonly startSeconds: number) {}

  get pid (): number { return this.child.pid }
  get peerId (): string { return this.info.peerId }

  /** A dialable 127.0.0.1 address ending in /p2p/<peer id>. */
  get addr (): string {
    const a = this.info.addrs.find(x => x.includes('/ip4/127.0.0.1/'))
    if (a == null) throw new Error(`no 127.0.0.1 address in ${JSON.stringify(this.info.addrs)}`)
    return a.includes('/p2p/') ? a : `${a}/p2p/${this.peerId}`
  }

  /** The node's API through its control socket (what `fsnode status/ls/get` use). */
  async api (): Promise<NodeApi> {
    if (this.remote == null) {
      const { ControlClient } = await import('../../src/control/client.js')
      const { RemoteNode } = await import('../../src/node/remote.js')
      this.remote = new RemoteNode(ControlClient.forDataDir(this.dataDir))
    }
    return this.remote
  }

  async status (): Promise<StatusInfo> {
    return await (await this.api()).status()
  }

  async ls (): Promise<NetworkFile[]> {
    return await (await this.api()).ls()
  }

  async stop (): Promise<void> {
    await this.child.stop()
  }
}

/** Start a long-running command with --json and wait for its JSON. */
export async function startFsnode (args: string[], dataDir: string, options: FsnodeOptions): Promise<FsnodeDaemon> {
  const start = now()
  const child = spawnFsnode([...args, '--json'], { ...options, timeoutMs: 0 })
  try {
    const info = await child.waitForStdout(s => {
      const v = parseJsonOutput<DaemonInfo>(s)
      return v != null && typeof v.peerId === 'string' ? v : undefined
    }, 'its JSON', options.timeoutMs ?? DAEMON_READY_TIMEOUT_MS)
    return new FsnodeDaemon(child, info, dataDir, (now() - start) / 1000)
  } catch (err) {
    await child.stop()
    throw err
  }
}

export type FsnodeGet = GetResult & { wallSeconds: number }

/**
 * Scratch folders and processes for one fsnode case: a coordinator, nodes with their own data,
 * share and downloads folders, all under `root`, all on 127.0.0.1.
 */
export class Cluster {
  readonly daemons = new Set<FsnodeDaemon>()
  coordinator?: FsnodeDaemon

  /** `startTimeoutMs`: how long a started node may take to print its JSON (a first index of a
   * big share takes minutes). */
  constructor (readonly root: string, private readonly startTimeoutMs?: number) {}

  private get options (): FsnodeOptions {
    return { home: this.root, ...(this.startTimeoutMs == null ? {} : { timeoutMs: this.startTimeoutMs }) }
  }

  async startCoordinator (name = 'coordinator'): Promise<FsnodeDaemon> {
    const dataDir = join(this.root, name)
    await mkdir(dataDir, { recursive: true })
    const d = await startFsnode(['coordinator', '--data-dir', dataDir, '--listen', LISTEN_LOCAL], dataDir, this.options)
    this.daemons.add(d)
    this.coordinator = d
    return d
  }

  /** `fsnode start` sharing `share` (default: an empty folder of its own). */
  async startNode (name: string, share?: string): Promise<FsnodeDaemon> {
    const base = join(this.root, name)
    const dataDir = join(base, 'data')
    const shareDir = share ?? join(base, 'share')
    for (const dir of [dataDir, shareDir, join(base, 'downloads')]) await mkdir(dir, { recursive: true })
    // every node serves its HTTP API as a default install does, each on a port of its own: on
    // the default port only the first node of a case got it and the others warned
    const args = ['start', '--data-dir', dataDir, '--share', shareDir, '--downloads', join(base, 'downloads'), '--listen', LISTEN_LOCAL, '--api-listen', API_LISTEN_LOCAL]
    if (this.coordinator != null) args.push('--coordinator', this.coordinator.addr)
    const d = await startFsnode(args, dataDir, this.options)
    this.daemons.add(d)
    return d
  }

  async stop (d: FsnodeDaemon): Promise<void> {
    await d.stop()
    this.daemons.delete(d)
  }

  /** `fsnode get TARGET --data-dir <node's> --out OUT --json`: through the running node. */
  async get (node: FsnodeDaemon, target: string, out: string): Promise<FsnodeGet> {
    await mkdir(out, { recursive: true })
    const r = await fsnodeJson<GetResult>(['get', target, '--data-dir', node.dataDir, '--out', out], this.options)
    return { ...r.value, wallSeconds: r.seconds }
  }

  /** A cold `fsnode get` on a fresh data dir: its own short-lived node, told the coordinator. */
  async coldGet (name: string, target: string, out: string): Promise<FsnodeGet> {
    const dataDir = join(this.root, name, 'data')
    await mkdir(dataDir, { recursive: true })
    await mkdir(out, { recursive: true })
    const args = ['get', target, '--data-dir', dataDir, '--out', out]
    if (this.coordinator != null) args.push('--coordinator', this.coordinator.addr)
    const r = await fsnodeJson<GetResult>(args, this.options)
    return { ...r.value, wallSeconds: r.seconds }
  }

  async close (): Promise<void> {
    await Promise.all([...this.daemons].map(async d => await d.stop()))
    this.daemons.clear()
  }
}

/** Poll a node's status until its share lists `files` files. */
export async function waitForShare (node: FsnodeDaemon, files: number, timeoutMs: number): Promise<StatusInfo> {
  return await waitUntil(async () => {
    const s = await node.status()
    return (s.share?.files ?? -1) >= files ? s : undefined
  }, `${files} shared files on ${node.dataDir}`, timeoutMs)
}

/** Poll a node's status until its DHT upkeep has provided `ids` file ids: a node that has been
 * running for a while has, and one in its first seconds still does it (a query and messages per
 * id) on the machine's shared cores. */
export async function waitForProvided (node: FsnodeDaemon, ids: number, timeoutMs: number): Promise<StatusInfo> {
  return await waitUntil(async () => {
    const s = await node.status()
    return Number(s.dht?.provided ?? -1) >= ids ? s : undefined
  }, `${ids} file ids provided on the DHT by ${node.dataDir}`, timeoutMs, 200)
}

/** Poll a node's `ls` until `pick` finds what it needs (the coordinator has the announcements). */
export async function waitForListing<T> (node: FsnodeDaemon, pick: (files: NetworkFile[]) => T | undefined, what: string, timeoutMs: number): Promise<T> {
  return await waitUntil(async () => pick(await node.ls()), what, timeoutMs, 200)
}
