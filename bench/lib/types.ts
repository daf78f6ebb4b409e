/** The plug-in contract: a case is a module exporting a BenchCase; cases/index.ts lists them. */

/** Figures other metrics are compared with, taken from the same run. */
export type ReferenceName = 'tcp' | 'libp2p' | 'sha256sum' | 'oneProvider'

export interface Target {
  /** As the issue states it, e.g. '>= 0.9 x bare libp2p'. */
  text: string
  /** Whether the median meets it; undefined when a reference it needs is missing. */
  met: (median: number, refs: Partial<Record<ReferenceName, number>>) => boolean | undefined
}

export interface MetricSpec {
  key: string
  /** Shown in the table, with the unit, e.g. 'get' + 'MB/s'. */
  label: string
  unit: string
  better: 'higher' | 'lower'
  /** A throughput in MB/s: show it as a ratio to raw TCP and to bare libp2p. */
  throughput?: boolean
  /** This metric's median is the named reference for the rest of the run. */
  reference?: ReferenceName
  /** Also show the ratio to this reference (in the note column). */
  versus?: ReferenceName
  target?: Target
}

/** One run's figures, by metric key; `info` is kept in the JSON only. */
export interface RunResult {
  values: Record<string, number>
  info?: Record<string, unknown>
}

export interface Profile {
  quick: boolean
  /** --runs: overrides every case's own run count. */
  runs?: number
  /** Bytes moved by the throughput cases and the big-file get (1 GiB; quick 256 MiB). */
  transferBytes: number
  /** Files and their size for the small-files case. */
  smallFiles: number
  smallFileBytes: number
  /** 1 KiB gets through a running node per run, and cold `fsnode get`s per run. */
  latencyGets: number
  coldGets: number
  /** Files in the folder the restart case restarts on. */
  restartFiles: number
  /** Files in the big-share case (tiny files, kept between invocations under the OS temp dir). */
  bigShareFiles: number
  /** Simulated peers and files they announce in total, and queries of each kind. */
  coordinatorPeers: number
  coordinatorFiles: number
  coordinatorQueries: number
}

/** A data file shared by several cases (created once per bench run). */
export interface DataFile {
  path: string
  size: number
  sha256: string
}

export interface CaseContext {
  profile: Profile
  /** A scratch folder for this case, moved to the trash when the case is done. */
  tmp: string
  /** Moves a folder of many files out of the way, deleted when the bench ends (trash.ts says why). */
  discard: (path: string) => Promise<void>
  /** A random file of this size, created on first use and shared between cases. */
  randomFile: (size: number) => Promise<DataFile>
  /** Progress lines on stderr (the table goes to stdout). */
  log: (line: string) => void
}

export interface CaseRunner {
  /** What is measured at this size, shown under the table (e.g. '256 MiB, 1 stream'). */
  describe?: string
  run: (index: number) => Promise<RunResult>
  close?: () => Promise<void>
}

export interface BenchCase {
  name: string
  title: string
  /** Other names `--only` accepts for this case. */
  aliases?: string[]
  /** Cases whose figures this one is compared with; added to `--only` automatically. */
  needs?: string[]
  /** false: left out of --quick unless named in --only (a long measurement). @default true */
  quick?: boolean
  /** Runs per case (default 3; quick 2). --runs overrides. */
  runs?: { full?: number, quick?: number }
  metrics: MetricSpec[]
  prepare: (ctx: CaseContext) => Promise<CaseRunner>
}
