import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'

/** dist/bench: where the compiled bench scripts live (this file is dist/bench/lib/proc.js). */
export const BENCH_DIST = join(import.meta.dirname, '..')
/** The repository root (dist/bench/lib -> ../../..). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..')

const STDERR_KEPT = 8 * 1024
/** 'fsnode: ...' (the CLI's one line) or 'SomeError: ...' / 'Error [CODE]: ...' (a crash). */
const ERROR_LINE = /^(fsnode: |bench: |(\w*Error|Error \[\w+\]):)/
const STOP_GRACE_MS = 5_000
const DEFAULT_TIMEOUT_MS = 5 * 60_000

/** Every child still running, so an interrupted bench can take them down. */
const live = new Set<Child>()

export interface SpawnOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Kill the child if it is still running after this long. */
  timeoutMs?: number
  /** Options for node itself, before the script (spawnScript/runScript), e.g. V8 flags. */
  nodeArgs?: string[]
}

/** A message a bench script printed: one JSON object per stdout line, with a `kind`. */
export interface Message {
  kind: string
  [key: string]: unknown
}

/** Env for children: no FSNODE_* settings and no DEBUG output from the parent's shell. */
export function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FSNODE_') && k !== 'DEBUG') env[k] = v
  }
  return { ...env, ...extra }
}

/**
 * A child Node process (always process.execPath: the Node 24 the bench runs on). Collects stdout
 * and the tail of stderr, and parses stdout lines that are JSON objects with a `kind` as messages.
 */
export class Child {
  readonly proc: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>
  private readonly messages: Message[] = []
  private wake?: () => void
  private readonly timer?: NodeJS.Timeout
  private lineBuffer = ''

  constructor (readonly label: string, args: string[], options: SpawnOptions = {}) {
    this.proc = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    live.add(this)
    this.proc.stdout?.setEncoding('utf8').on('data', (d: string) => this.onStdout(d))
    this.proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-STDERR_KEPT)
    })
    this.exited = new Promise(resolve => {
      this.proc.on('error', err => { this.stderr += `\nspawn failed: ${err.message}`; resolve(null) })
      this.proc.on('close', code => {
        live.delete(this)
        if (this.timer != null) clearTimeout(this.timer)
        this.notify()
        resolve(code)
      })
    })
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.stderr += `\n(killed by the bench after ${timeoutMs / 1000} s)`
        this.proc.kill('SIGKILL')
      }, timeoutMs)
    }
  }

  get pid (): number {
    if (this.proc.pid == null) throw new Error(`${this.label}: not running`)
    return this.proc.pid
  }

  get running (): boolean {
    return this.proc.exitCode == null && this.proc.signalCode == null
  }

  private onStdout (d: string): void {
    this.stdout += d
    this.lineBuffer += d
    let nl: number
    while ((nl = this.lineBuffer.indexOf('\n')) !== -1) {
      const line = this.lineBuffer.slice(0, nl).trim()
      this.lineBuffer = this.lineBuffer.slice(nl + 1)
      if (!line.startsWith('{')) continue
      try {
        const msg = JSON.parse(line)
        if (typeof msg?.kind === 'string') this.messages.push(msg)
      } catch {}
    }
    this.notify()
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** The most telling stderr line for an error message: an error line if there is one
   * (not the stack under it), else the last lines. */
  describeFailure (): string {
    const lines = this.stderr.split('\n').map(l => l.trim()).filter(l => l !== '')
    const error = lines.find(l => ERROR_LINE.test(l))
    if (error != null) return error
    return lines.length === 0 ? 'no output on stderr' : lines.slice(-3).join(' | ')
  }

  /** Wait for the next message of this kind; fails if the child exits first. */
  async next<T = Message> (kind: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T & Message> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const i = this.messages.findIndex(m => m.kind === kind)
      if (i !== -1) return this.messages.splice(i, 1)[0] as T & Message
      const failed = this.messages.find(m => m.kind === 'error')
      if (failed != null) throw new Error(`${this.label}: ${String(failed.message)}`)
      if (!this.running) throw new Error(`${this.label} exited (${this.proc.exitCode ?? this.proc.signalCode}) before '${kind}': ${this.describeFailure()}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.label}: no '${kind}' after ${timeoutMs / 1000} s`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(t); resolve() }
      })
    }
  }

  /** Wait until `parse(stdout)` returns a value (for programs that print plain or multi-line JSON). */
  async waitForStdout<T> (parse: (stdout: string) => T | undefined, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const value = parse(this.stdout)
      if (value !== undefined) return value
      if (!this.running) throw new Error(`${this.label} exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${what}: ${this.describeFailure()}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.label}: no ${what} after ${timeoutMs / 1000} s: ${this.describeFailure()}`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(t); resolve() }
      })
    }
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop (): Promise<void> {
    if (!this.running) { await this.exited; return }
    this.proc.kill('SIGTERM')
    const t = setTimeout(() => this.proc.kill('SIGKILL'), STOP_GRACE_MS)
    await this.exited
    clearTimeout(t)
  }
}

/** Start a compiled bench script, e.g. `scripts/tcp-server` -> dist/bench/scripts/tcp-server.js. */
export function spawnScript (script: string, args: string[] = [], options: SpawnOptions = {}): Child {
  return new Child(script, [...(options.nodeArgs ?? []), join(BENCH_DIST, `${script}.js`), ...args], options)
}

/** Run a bench script to completion and return its `result` message. */
export async function runScript<T = Message> (script: string, args: string[] = [], options: SpawnOptions = {}): Promise<T & Message> {
  const child = spawnScript(script, args, options)
  try {
    const result = await child.next<T>('result', options.timeoutMs)
    await child.exited
    return result
  } finally {
    await child.stop()
  }
}

/** Run any program to completion (sha256sum and friends). */
export async function runProgram (cmd: string, args: string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.setEncoding('utf8').on('data', d => { stdout += d })
    p.stderr.setEncoding('utf8').on('data', d => { stderr += d })
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs)
    p.on('error', err => { clearTimeout(t); reject(err) })
    p.on('close', code => { clearTimeout(t); resolve({ code, stdout, stderr }) })
  })
}

/** Stop every child still running (on the way out, or on Ctrl-C). */
export async function stopAll (): Promise<void> {
  await Promise.all([...live].map(async c => await c.stop()))
}
