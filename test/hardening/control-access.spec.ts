import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, readFile, readdir, readlink, stat } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ControlServer } from '../../src/control/server.js'
import { Sandbox } from '../e2e/harness.js'
import { writeText } from '../e2e/files.js'

const run = promisify(execFile)
const LOCAL = '/ip4/127.0.0.1/tcp/0'
const S_IFSOCK = 0o140000

/** Try the control socket as the unprivileged user `nobody`; returns the error code or 'connected'. */
async function connectAsNobody (path: string): Promise<string> {
  const script = `const s = require('node:net').createConnection(${JSON.stringify(path)});
    s.on('connect', () => { console.log('connected'); s.destroy() });
    s.on('error', e => console.log(e.code))`
  const { stdout } = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { timeout: 10_000 })
  return stdout.trim()
}

/** TCP ports the process listens on, from /proc (its socket inodes in the LISTEN state). */
async function listeningPorts (pid: number): Promise<number[]> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const m = /^socket:\[(\d+)\]$/.exec(target)
    if (m != null) inodes.add(m[1])
  }
  const ports: number[] = []
  for (const table of ['tcp', 'tcp6']) {
    const lines = (await readFile(`/proc/${pid}/net/${table}`, 'utf8')).split('\n').slice(1)
    for (const line of lines) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue // 0A = LISTEN
      ports.push(parseInt(cols[1].split(':')[1], 16))
    }
  }
  return ports
}

/** Send a control request to a TCP port; resolves with whatever came back before it closed. */
async function tcpControlRequest (port: number): Promise<string> {
  return await new Promise(resolve => {
    const s = createConnection({ host: '127.0.0.1', port })
    let out = ''
    s.setEncoding('latin1')
    s.on('data', d => { out += d })
    s.on('error', () => resolve(out))
    s.on('close', () => resolve(out))
    s.write(JSON.stringify({ method: 'status' }) + '\n')
    setTimeout(() => s.destroy(), 2_000)
  })
}

describe('hardening: only the local user can use the control channel', function () {
  this.timeout(60_000)
  let sb: Sandbox

  before(async function () {
    if (process.getuid?.() !== 0) this.skip() // switching to another user needs root
    try {
      await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', '0'], { timeout: 10_000 })
    } catch (err: any) {
      console.log(`      skipped: cannot run as nobody (${String(err.message).split('\n')[0]})`)
      this.skip()
    }
  })
  beforeEach(async () => { sb = await Sandbox.create() })
  afterEach(async () => { await sb?.cleanup() })

  it('a running node: socket 0600 in a 0700 dir; another user gets EACCES; no TCP port speaks it', async () => {
    // every folder above the data dir is open to all, so only fsnode's own modes protect it
    await chmod(sb.dir, 0o755)
    await writeText(sb.path('share', 'a.txt'), 'a')
    const daemon = await sb.daemon(['start', '--data-dir', sb.path('data'), '--share', sb.path('share'), '--listen', LOCAL, '--api-listen', 'false'])
    const sock = sb.path('data', 'control.sock')
    const st = await stat(sock)
    assert.equal(st.mode & 0o170000, S_IFSOCK)
    assert.equal(st.mode & 0o777, 0o600)
    assert.equal((await stat(sb.path('data'))).mode & 0o777, 0o700)
    assert.equal((await sb.json(['status', '--data-dir', sb.path('data')])).running, true, 'the owner is served')

    assert.equal(await connectAsNobody(sock), 'EACCES', 'refused by the 0700 data dir')
    // even with the data dir opened up by mistake, the socket's own 0600 refuses
    await chmod(sb.path('data'), 0o755)
    try {
      assert.equal(await connectAsNobody(sock), 'EACCES', 'refused by the 0600 socket')
    } finally {
      await chmod(sb.path('data'), 0o700)
    }

    // (the HTTP API is off here: it is tested on its own) the daemon listens on TCP for libp2p only: its ports are exactly its libp2p addresses,
    // and none of them answers a control request
    const libp2pPorts = (daemon.info.addrs as string[]).map(a => Number(a.split('/')[4]))
    const ports = await listeningPorts(daemon.child.pid as number)
    assert.deepEqual([...new Set(ports)].sort(), [...new Set(libp2pPorts)].sort())
    for (const port of ports) assert.doesNotMatch(await tcpControlRequest(port), /"result"|"error"/)
  })

  it('a data dir too deep for a socket path: the socket lives in a private 0700 folder, refused to others', async () => {
    await chmod(sb.dir, 0o755)
    const deep = sb.path('d'.repeat(60), 'e'.repeat(60))
    const server = new ControlServer(deep, { echo: async p => p })
    await server.start()
    try {
      assert.ok(!server.path.startsWith(deep))
      assert.equal((await stat(server.path)).mode & 0o777, 0o600)
      assert.equal((await stat(join(server.path, '..'))).mode & 0o777, 0o700)
      assert.equal(await connectAsNobody(server.path), 'EACCES')
    } finally {
      await server.stop()
    }
  })
})
