import { spawn } from 'node:child_process'
import { mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sleep, waitFor as waitUntilValue } from './wait.js'
import { ControlClient } from '../src/control/client.js'
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process'

export { sleep }

/** The fsnode command as a user runs it, under the same Node as the tests. */
export const BIN = resolve(import.meta.dirname, '../../bin/fsnode.js')
/** How long run() reads a command's pipes after it exited (see run()). */
const EXIT_DRAIN_MS = 3_000

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  env?: Record<string, string>
  timeoutMs?: number
  input?: string
}

/**
 * Env for an fsnode process isolated from the machine: its own HOME and XDG folders under
 * `home` (so no user config, data dir or control socket of the person running the tests is
 * used), no inherited FSNODE_* settings or DEBUG, and no mDNS (nodes of concurrent tests would
 * find each other). `extra` sets what a test needs, e.g. FSNODE_MDNS=1 in the mDNS test.
 */
export function isolatedEnv (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FSNODE_') && !k.startsWith('XDG_') && k !== 'DEBUG' && k !== 'HOME') env[k] = v
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    FSNODE_MDNS: '0',
    ...extra
  }
}

/** A scratch folder per test; the cwd of every command so no ./config.json is picked up. */
/** How long a control method asked by a test may take. */
const ASK_TIMEOUT = 10_000

export class Sandbox {
  readonly procs = new Set<ChildProcess>()
  private constructor (readonly dir: string) {}

  static async create (): Promise<Sandbox> {
    const sb = new Sandbox(await mkdtemp(join(tmpdir(), 'fsnode-e2e-')))
    await mkdir(sb.home, { recursive: true })
    return sb
  }

  /** HOME (and XDG folders) of every process this sandbox starts. */
  get home (): string {
    return this.path('.home')
  }

  /** The env of this sandbox's processes, plus what a test sets. */
  env (extra?: Record<string, string>): NodeJS.ProcessEnv {
    return isolatedEnv(this.home, extra)
  }

  /** Start `fsnode ARGS` in the background, stdout and stderr piped; stopped by cleanup(). */
  spawn (args: string[], options: Pick<RunOptions, 'cwd' | 'env'> = {}): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? this.dir, env: this.env(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdin.end()
    this.procs.add(child)
    child.on('exit', () => this.procs.delete(child))
    return child
  }

  path (...parts: string[]): string {
    return join(this.dir, ...parts)
  }

  async mkdir (...parts: string[]): Promise<string> {
    const p = this.path(...parts)
    await mkdir(p, { recursive: true })
    return p
  }

  /** Run a command to completion. */
  async run (args: string[], options: RunOptions = {}): Promise<RunResult> {
    return await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: options.cwd ?? this.dir,
        env: this.env(options.env),
        stdio: ['pipe', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      const started = performance.now()
      let lastOutput = 0
      const seen = (): void => { lastOutput = performance.now() - started }
      child.stdout.setEncoding('utf8').on('data', d => { stdout += d; seen() })
      child.stderr.setEncoding('utf8').on('data', d => { stderr += d; seen() })
      let exitedAt: number | undefined
      let drain: NodeJS.Timeout | undefined
      const timer = setTimeout(() => {
        clearTimeout(drain)
        child.kill('SIGKILL')
        // when it printed and whether it exited say where it stood: still working, or done
        // and stuck on the way out
        const when = `${exitedAt == null ? 'still running' : `exited at ${(exitedAt / 1000).toFixed(1)} s`}, last output at ${(lastOutput / 1000).toFixed(1)} s`
        reject(new Error(`fsnode ${args.join(' ')} timed out (${when})\nstdout: ${stdout}\nstderr: ${stderr}`))
      }, options.timeoutMs ?? 60_000)
      const done = (code: number | null): void => {
        clearTimeout(timer)
        clearTimeout(drain)
        resolvePromise({ code, stdout, stderr })
      }
      child.on('error', reject)
      // 'close' waits for the pipes too: a process that exited is done once what it wrote has
      // been read, even if its pipes stay open longer (twice in CI a get had printed its last
      // line and still timed out; the timeout's message now says whether it had exited)
      child.on('exit', code => {
        exitedAt = performance.now() - started
        drain = setTimeout(() => {
          child.stdout.destroy()
          child.stderr.destroy()
          done(code)
        }, EXIT_DRAIN_MS)
      })
      child.on('close', code => { done(code) })
      if (options.input != null) child.stdin.end(options.input)
      else child.stdin.end()
    })
  }

  /** Run a command that must succeed and print JSON. */
  /**
   * A control method (`ls`, `status`) of the daemon running on `dataDir`, asked on its socket:
   * the same answer as `fsnode <method> --json`, without starting a process. For polls: each
   * `fsnode` run costs over a second of CPU, and one on a data dir without a daemon starts a
   * whole libp2p node (what a command's own output looks like is checked with json()).
   */
  async ask<T = any> (dataDir: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
    return await ControlClient.forDataDir(dataDir).callUnchecked<T>(method, params, { signal: AbortSignal.timeout(ASK_TIMEOUT) })
  }

  async json<T = any> (args: string[], options: RunOptions = {}): Promise<T> {
    const r = await this.run([...args, '--json'], options)
    if (r.code !== 0) throw new Error(`fsnode ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`)
    try {
      return JSON.parse(r.stdout)
    } catch {
      throw new Error(`fsnode ${args.join(' ')} printed no JSON: ${r.stdout.slice(0, 500)}`)
    }
  }

  /** Start a long-running command (start, coordinator) with --json and wait for its JSON line. */
  async daemon (args: string[], options: RunOptions = {}): Promise<Daemon> {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {
      cwd: options.cwd ?? this.dir,
      env: this.env(options.env),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.procs.add(child)
    child.on('exit', () => this.procs.delete(child))
    const d = new Daemon(child)
    await d.ready(options.timeoutMs ?? 60_000, args)
    return d
  }

  async cleanup (): Promise<void> {
    await Promise.all([...this.procs].map(async p => await stopProcess(p)))
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 })
  }
}

export class Daemon {
  stdout = ''
  stderr = ''
  info: any
  constructor (readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', d => { this.stdout += d })
    child.stderr?.setEncoding('utf8').on('data', d => { this.stderr += d })
  }

  get peerId (): string { return this.info.peerId }

  /** A dialable address on 127.0.0.1, with /p2p/<peer id>. */
  get addr (): string {
    const a = (this.info.addrs as string[]).find(x => x.includes('/ip4/127.0.0.1/'))
    if (a == null) throw new Error(`no 127.0.0.1 address in ${JSON.stringify(this.info.addrs)}`)
    return a.includes('/p2p/') ? a : `${a}/p2p/${this.peerId as string}`
  }

  async ready (timeoutMs: number, args: string[]): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const start = this.stdout.indexOf('{')
      if (start !== -1) {
        try {
          this.info = JSON.parse(this.stdout.slice(start))
          return
        } catch {}
      }
      if (this.child.exitCode != null) throw new Error(`fsnode ${args.join(' ')} exited ${this.child.exitCode}: ${this.stderr.trim()}`)
      await sleep(50)
    }
    throw new Error(`fsnode ${args.join(' ')} not ready after ${timeoutMs} ms: ${this.stderr}`)
  }

  /** SIGTERM, then SIGKILL if it does not exit. */
  async stop (): Promise<void> {
    await stopProcess(this.child)
  }

  kill (): void {
    this.child.kill('SIGKILL')
  }
}

async function stopProcess (p: ChildProcess): Promise<void> {
  if (p.exitCode != null || p.signalCode != null) return
  const exited = new Promise<void>(resolve => p.once('exit', () => resolve()))
  p.kill('SIGTERM')
  const timer = setTimeout(() => p.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Poll `fn` until it returns a value (undefined, null and false are not one yet). */
export async function waitFor<T> (fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 15_000, intervalMs = 250): Promise<T> {
  return await waitUntilValue(async () => {
    const v = await fn()
    return v === false || v === null ? undefined : v
  }, what, timeoutMs, intervalMs)
}
