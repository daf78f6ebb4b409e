// An sshd of the bench's own on 127.0.0.1 (its own host key, user key and config in a scratch
// folder), for the `scp -r` baseline of the folder case. Only when this machine has an sshd.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { now, waitUntil } from './time.js'

const START_TIMEOUT_MS = 10_000
const SCP_TIMEOUT_MS = 10 * 60_000

/** The sshd binary (`which sshd`, else the usual place), or undefined when there is none. */
export function findSshd (): string | undefined {
  const r = spawnSync('which', ['sshd'], { encoding: 'utf8' })
  if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim()
  return ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find(p => existsSync(p))
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

function run (cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
}

export class SshServer {
  private constructor (private readonly proc: ChildProcess, readonly port: number, private readonly key: string) {}

  static async start (sshd: string, dir: string): Promise<SshServer> {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const hostKey = join(dir, 'host_ed25519')
    const key = join(dir, 'user_ed25519')
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    const port = await freePort()
    const config = join(dir, 'sshd_config')
    await writeFile(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `AuthorizedKeysFile ${key}.pub`,
      `PidFile ${join(dir, 'sshd.pid')}`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
      `AllowUsers ${userInfo().username}`,
      // scp uses the SFTP protocol since OpenSSH 9: without this line every copy is refused
      'Subsystem sftp internal-sftp', ''
    ].join('\n'))
    const proc = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const server = new SshServer(proc, port, key)
    try {
      await waitUntil(async () => {
        if (proc.exitCode != null) throw new Error(`sshd exited ${proc.exitCode}: ${stderr.trim()}`)
        return await new Promise<boolean | undefined>(resolve => {
          const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
          s.once('error', () => { resolve(undefined) })
        })
      }, 'sshd listening', START_TIMEOUT_MS, 100)
      await server.scp(config, join(dir, 'probe')) // the key is accepted
    } catch (err) {
      await server.stop()
      throw err
    }
    return server
  }

  /** `scp -r` of `source` from this server to `target`; the seconds it took. */
  async scp (source: string, target: string): Promise<number> {
    const start = now()
    await new Promise<void>((resolve, reject) => {
      const p = spawn('scp', ['-r', '-q', '-P', String(this.port), '-i', this.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
        '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${userInfo().username}@127.0.0.1:${source}`, target], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const timer = setTimeout(() => { p.kill() }, SCP_TIMEOUT_MS)
      p.on('error', reject)
      p.on('exit', code => {
        clearTimeout(timer)
        if (code === 0) resolve()
        else reject(new Error(`scp exited ${code}: ${stderr.trim()}`))
      })
    })
    return (now() - start) / 1000
  }

  async stop (): Promise<void> {
    if (this.proc.exitCode != null) return
    const exited = new Promise(resolve => this.proc.once('exit', resolve))
    this.proc.kill()
    await exited
  }
}
