import { parseArgs } from 'node:util'

export interface BenchArgs {
  quick: boolean
  only?: string[]
  out: string
  runs?: number
  /** Overrides the profile's small-files count (the per-file-cost case). */
  smallFiles?: number
  /** Overrides the profile's file count of the big-share case. */
  bigShare?: number
  list: boolean
  help: boolean
}

export const DEFAULT_OUT = 'bench/results.json'

export const USAGE = `usage: npm run bench -- [--quick] [--only CASE,...] [--runs N] [--small-files N] [--big-share N] [--out FILE] [--list]

  --quick         reduced sizes and runs (under two minutes on 2 cores)
  --only LIST     run only these cases (comma-separated; the baselines they compare with are added)
  --runs N        runs per case (default 3, quick 1-2)
  --small-files N gets in the small-files case (default 2000, quick 200)
  --big-share N   files in the big-share case (default 200000, quick 20000)
  --out FILE      where the figures go as JSON (default ${DEFAULT_OUT})
  --list          list the cases and exit`

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseBenchArgs (argv: string[]): BenchArgs {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        out: { type: 'string', default: DEFAULT_OUT },
        runs: { type: 'string' },
        'small-files': { type: 'string' },
        'big-share': { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (err: any) {
    throw new UsageError(err.message)
  }
  let runs: number | undefined
  if (values.runs != null) {
    runs = Number(values.runs)
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number >= 1, got ${values.runs}`)
  }
  let smallFiles: number | undefined
  if (values['small-files'] != null) {
    smallFiles = Number(values['small-files'])
    if (!Number.isInteger(smallFiles) || smallFiles < 4) throw new UsageError(`--small-files must be a whole number >= 4, got ${values['small-files']}`)
  }
  let bigShare: number | undefined
  if (values['big-share'] != null) {
    bigShare = Number(values['big-share'])
    if (!Number.isInteger(bigShare) || bigShare < 1) throw new UsageError(`--big-share must be a whole number >= 1, got ${values['big-share']}`)
  }
  const only = values.only?.flatMap(v => v.split(',')).map(s => s.trim()).filter(s => s !== '')
  return { quick: values.quick, only, out: values.out, runs, smallFiles, bigShare, list: values.list, help: values.help }
}
