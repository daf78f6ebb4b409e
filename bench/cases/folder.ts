// A folder get: a provider shares N small files under one folder; the downloader's running node
// fetches the whole folder with one `fsnode get photos/ --json`. Baseline: `scp -r` of the same
// folder over ssh to 127.0.0.1 in the same run, when this machine has an sshd (else the table
// says so: nothing to compare with).
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import { Cluster, waitForListing, waitForShare } from '../lib/fsnode.js'
import { writeFileSet } from '../lib/data.js'
import { formatSize } from '../lib/units.js'
import { SshServer, findSshd } from '../lib/ssh.js'
import { cpuSeconds } from '../lib/cpu.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const FOLDER = 'photos'
const READY_TIMEOUT_MS = 5 * 60_000
const LISTING_TIMEOUT_MS = 120_000

async function countFiles (dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile() && !e.parentPath.includes('.fsnode-partial')).length
}

export const folderCase: BenchCase = {
  name: 'folder',
  title: 'fsnode get of a folder of small files from one provider (vs scp -r when an sshd is available)',
  aliases: ['folder-get'],
  runs: { quick: 1 },
  metrics: [
    { key: 'rate', label: 'folder get', unit: 'files/s', better: 'higher' },
    { key: 'wall', label: 'folder get, command wall time', unit: 's', better: 'lower' },
    // CPU depends less on the machine's load than wall time does
    { key: 'downloaderCpu', label: 'downloader CPU during the get', unit: 's', better: 'lower' },
    { key: 'providerCpu', label: 'provider CPU during the get', unit: 's', better: 'lower' },
    { key: 'scpRate', label: 'scp -r (baseline; n/a when there is no sshd)', unit: 'files/s', better: 'higher' },
    {
      key: 'vsScp',
      label: 'folder get / scp -r',
      unit: 'x',
      better: 'higher',
      target: { text: '>= 1 (scp -r)', met: v => Number.isNaN(v) ? undefined : v >= 1 }
    }
  ],
  async prepare (ctx) {
    const { smallFiles: count, smallFileBytes: size } = ctx.profile
    const share = join(ctx.tmp, 'provider', 'share')
    const source = join(share, FOLDER)
    await writeFileSet(source, count, size, 'img')
    const sshd = findSshd()
    let ssh: SshServer | undefined
    let sshNote = 'no sshd on this machine (`which sshd` finds none): the scp -r baseline is not measured'
    if (sshd != null) {
      try {
        ssh = await SshServer.start(sshd, join(ctx.tmp, 'ssh'))
        sshNote = `scp -r over ssh to 127.0.0.1:${ssh.port} (${sshd}, a key of its own)`
      } catch (err: any) {
        sshNote = `sshd found at ${sshd} but could not be started (${String(err.message).split('\n')[0]}): no scp baseline`
      }
    }
    const cluster = new Cluster(ctx.tmp)
    let providerPid: number
    try {
      await cluster.startCoordinator()
      const provider = await cluster.startNode('provider', share)
      providerPid = provider.pid
      await waitForShare(provider, count, READY_TIMEOUT_MS)
    } catch (err) {
      await cluster.close()
      await ssh?.stop()
      throw err
    }
    ctx.log(`  folder: ${sshNote}`)
    return {
      describe: `${count} files of ${formatSize(size)} in ${count / 100} subfolders, \`fsnode get ${FOLDER}/ --json\` through a running node (a fresh downloader each run); ${sshNote}`,
      async run (index): Promise<RunResult> {
        const downloader = await cluster.startNode(`downloader${index}`)
        const out = join(ctx.tmp, `out${index}`)
        const scpOut = join(ctx.tmp, `scp${index}`)
        try {
          const name = await waitForListing(downloader, files => {
            const mine = files.filter(f => f.name.includes(`${FOLDER}/`))
            if (mine.length < count) return undefined
            return mine[0].name.slice(0, mine[0].name.indexOf(`${FOLDER}/`) + FOLDER.length + 1)
          }, `${count} files of ${FOLDER}/ listed`, LISTING_TIMEOUT_MS)
          const cpu0 = [cpuSeconds(downloader.pid), cpuSeconds(providerPid)]
          const r = await cluster.get(downloader, name, out)
          const downloaderCpu = cpuSeconds(downloader.pid) - cpu0[0]
          const providerCpu = cpuSeconds(providerPid) - cpu0[1]
          const got = await countFiles(out)
          if (got !== count || r.size !== count * size) throw new Error(`folder get placed ${got} files, ${r.size} bytes; expected ${count}, ${count * size}`)
          const rate = count / r.seconds
          let scpRate = Number.NaN
          let scpSeconds: number | undefined
          if (ssh != null) {
            scpSeconds = await ssh.scp(source, scpOut)
            const copied = await countFiles(scpOut)
            if (copied !== count) throw new Error(`scp -r copied ${copied} files, expected ${count}`)
            scpRate = count / scpSeconds
          }
          return {
            values: { rate, wall: r.wallSeconds, downloaderCpu, providerCpu, scpRate, vsScp: rate / scpRate },
            info: { seconds: r.seconds, wallSeconds: r.wallSeconds, scpSeconds, files: count }
          }
        } finally {
          await cluster.stop(downloader)
          // not deleted now: the next run's creates would pay for it (trash.ts)
          await ctx.discard(out)
          await ctx.discard(scpOut)
        }
      },
      async close () {
        await cluster.close()
        await ssh?.stop()
      }
    }
  }
}
