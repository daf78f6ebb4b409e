import { execFile, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { BIN, Daemon } from '../harness.js'
import type { RunResult } from '../harness.js'

const exec = promisify(execFile)

/**
 * A small internet on one machine, in network namespaces:
 *
 *   [ha 10.1.0.2] -- [ra NAT 7.0.0.2] --+
 *                                        +-- bridge "inet" (7.0.0.0/24): coordinator 7.0.0.1,
 *   [hb 10.2.0.2] -- [rb NAT 7.0.0.3] --+                                public node 7.0.0.4 (pn)
 *
 * ra/rb masquerade what leaves their "wan" side and drop every connection that starts there
 * (a home router: no port forwarding). 7.0.0.0/24 only exists inside these namespaces; it is
 * "public" to libp2p (not a private range), which the coordinator and pn need to be.
 * Every name carries a per-run id, so parallel runs do not clash.
 */
export const COORD_IP = '7.0.0.1'
export const PUBLIC_NODE_IP = '7.0.0.4'

export type Site = 'inet' | 'ha' | 'hb' | 'pn'

/** Why these tests cannot run here, or undefined when they can. */
export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const [cmd, args] of [['ip', ['netns', 'list']], ['nft', ['--version']]] as const) {
    const r = spawnSync(cmd, args as unknown as string[], { stdio: 'ignore' })
    if (r.error != null || r.status !== 0) return `\`${cmd}\` is not available (apt-get install iproute2 nftables)`
  }
  return undefined
}

export class NatLab {
  readonly id = randomBytes(3).toString('hex')
  private readonly created: string[] = []

  ns (site: Site | 'ra' | 'rb'): string {
    return `fsn-${this.id}-${site}`
  }

  static async create (): Promise<NatLab> {
    const lab = new NatLab()
    try {
      await lab.build()
    } catch (err) {
      await lab.destroy()
      throw err
    }
    return lab
  }

  private async ip (...args: string[]): Promise<void> {
    await exec('ip', args)
  }

  private async inNs (ns: string, ...args: string[]): Promise<string> {
    return (await exec('ip', ['netns', 'exec', ns, ...args])).stdout
  }

  private async addNs (name: string): Promise<void> {
    await this.ip('netns', 'add', name)
    this.created.push(name)
    await this.inNs(name, 'ip', 'link', 'set', 'lo', 'up')
  }

  /** A veth pair: `a` in namespace nsA named ifA, the other end in nsB named ifB. */
  private async veth (nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
    const tmpA = `v${this.id}${randomBytes(2).toString('hex')}`
    const tmpB = `v${this.id}${randomBytes(2).toString('hex')}`
    await this.ip('link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB)
    await this.ip('link', 'set', tmpA, 'netns', nsA)
    await this.ip('link', 'set', tmpB, 'netns', nsB)
    await this.inNs(nsA, 'ip', 'link', 'set', tmpA, 'name', ifA)
    await this.inNs(nsB, 'ip', 'link', 'set', tmpB, 'name', ifB)
  }

  private async build (): Promise<void> {
    const inet = this.ns('inet')
    await this.addNs(inet)
    await this.inNs(inet, 'ip', 'link', 'add', 'br0', 'type', 'bridge')
    await this.inNs(inet, 'ip', 'link', 'set', 'br0', 'up')
    // the coordinator lives on the bridge itself
    await this.inNs(inet, 'ip', 'addr', 'add', `${COORD_IP}/24`, 'dev', 'br0')

    // the public node: a host with a public address on the same segment
    const pn = this.ns('pn')
    await this.addNs(pn)
    await this.veth(pn, 'eth0', inet, 'pn0')
    await this.up(pn, 'eth0', `${PUBLIC_NODE_IP}/24`)
    await this.inNs(inet, 'ip', 'link', 'set', 'pn0', 'master', 'br0', 'up')

    for (const [site, wan, lan] of [['a', '7.0.0.2', '10.1.0'], ['b', '7.0.0.3', '10.2.0']] as const) {
      const router = this.ns(`r${site}`)
      const host = this.ns(`h${site}`)
      await this.addNs(router)
      await this.addNs(host)
      await this.veth(router, 'wan', inet, `r${site}0`)
      await this.inNs(inet, 'ip', 'link', 'set', `r${site}0`, 'master', 'br0', 'up')
      await this.up(router, 'wan', `${wan}/24`)
      await this.veth(router, 'lan', host, 'eth0')
      await this.up(router, 'lan', `${lan}.1/24`)
      await this.up(host, 'eth0', `${lan}.2/24`)
      await this.inNs(host, 'ip', 'route', 'add', 'default', 'via', `${lan}.1`)
      await this.inNs(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
      await this.nft(router, [
        'table ip nat {',
        '  chain postrouting { type nat hook postrouting priority 100; oifname "wan" masquerade; }',
        '}',
        'table ip filter {',
        '  chain forward { type filter hook forward priority 0; policy drop;',
        '    ct state established,related accept; iifname "lan" accept; }',
        '}'
      ].join('\n'))
    }
  }

  private async up (ns: string, dev: string, cidr: string): Promise<void> {
    await this.inNs(ns, 'ip', 'addr', 'add', cidr, 'dev', dev)
    await this.inNs(ns, 'ip', 'link', 'set', dev, 'up')
  }

  private async nft (ns: string, ruleset: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
      let err = ''
      child.stderr.on('data', d => { err += String(d) })
      child.on('error', reject)
      child.on('close', code => code === 0 ? resolve() : reject(new Error(`nft in ${ns}: ${err}`)))
      child.stdin.end(ruleset)
    })
  }

  /** Bytes through the coordinator's side of the segment (both directions). */
  async coordinatorBytes (): Promise<number> {
    const out = await this.inNs(this.ns('inet'), 'ip', '-s', '-j', 'link', 'show', 'br0')
    const s = JSON.parse(out)[0].stats64
    return Number(s.rx.bytes) + Number(s.tx.bytes)
  }

  /** Remove every namespace this lab created (their veths and rules go with them). */
  async destroy (): Promise<void> {
    for (const ns of this.created.reverse()) {
      await exec('ip', ['netns', 'del', ns]).catch(() => {})
    }
    this.created.length = 0
  }

  /** The body of an HTTP GET made from inside a site (a node's API listens on that site's own
   * loopback, out of reach of the test process). */
  async httpGet (site: Site, url: string): Promise<string> {
    const script = 'fetch(process.argv[1]).then(async r => { if (!r.ok) throw new Error(String(r.status)); process.stdout.write(await r.text()) })'
    const { stdout } = await exec('ip', ['netns', 'exec', this.ns(site), process.execPath, '-e', script, url])
    return stdout
  }

  /** `fsnode ARGS` run to completion inside a site. */
  async run (site: Site, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<RunResult> {
    return await new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.ns(site), process.execPath, BIN, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', d => { stdout += d })
      child.stderr.setEncoding('utf8').on('data', d => { stderr += d })
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`fsnode ${args.join(' ')} in ${site} timed out\nstdout: ${stdout}\nstderr: ${stderr}`))
      }, timeoutMs)
      child.on('error', reject)
      child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    })
  }

  async json<T = any> (site: Site, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs?: number): Promise<T> {
    const r = await this.run(site, [...args, '--json'], cwd, env, timeoutMs)
    if (r.code !== 0) throw new Error(`fsnode ${args.join(' ')} in ${site} exited ${r.code}: ${r.stderr.trim()}`)
    return JSON.parse(r.stdout)
  }

  /** A long-running `fsnode ARGS --json` (start, coordinator) inside a site, once it is ready. */
  async daemon (site: Site, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Daemon> {
    const child = spawn('ip', ['netns', 'exec', this.ns(site), process.execPath, BIN, ...args, '--json'], {
      cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']
    })
    const d = new Daemon(child)
    await d.ready(60_000, args)
    return d
  }
}

/** No inherited FSNODE_* or DEBUG; no mDNS (namespaces of parallel runs share nothing, but
 * keep it quiet). UPnP stays on, as by default: its search stays inside the namespace and finds
 * no router. */
function childEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FSNODE_') && k !== 'DEBUG') env[k] = v
  }
  return { ...env, FSNODE_MDNS: '0', ...extra }
}
