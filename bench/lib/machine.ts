import { cpus, totalmem, freemem, loadavg, platform, release, arch, hostname } from 'node:os'
import { execFileSync } from 'node:child_process'
import { REPO_ROOT } from './proc.js'
import { MB } from './units.js'

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryMB: number
  freeMemoryMB: number
  loadAverage: number[]
  platform: string
  release: string
  arch: string
  hostname: string
  node: string
  gitCommit?: string
  gitDirty?: boolean
}

function git (args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

export function machineInfo (): MachineInfo {
  const list = cpus()
  const status = git(['status', '--porcelain'])
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryMB: Math.round(totalmem() / MB),
    freeMemoryMB: Math.round(freemem() / MB),
    loadAverage: loadavg().map(x => +x.toFixed(2)),
    platform: platform(),
    release: release(),
    arch: arch(),
    hostname: hostname(),
    node: process.version,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status == null ? undefined : status !== ''
  }
}
