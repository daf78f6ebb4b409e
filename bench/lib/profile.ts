import type { Profile } from './types.js'
import { GiB, KiB, MiB } from './units.js'

/** The sizes of issue 4. */
export const FULL: Profile = {
  quick: false,
  transferBytes: GiB,
  smallFiles: 2_000,
  smallFileBytes: 16 * KiB,
  latencyGets: 30,
  coldGets: 5,
  restartFiles: 10_000,
  bigShareFiles: 200_000,
  coordinatorPeers: 100,
  coordinatorFiles: 100_000,
  coordinatorQueries: 400
}

/** --quick: the same cases, reduced to fit two minutes on two cores. */
export const QUICK: Profile = {
  quick: true,
  transferBytes: 256 * MiB,
  smallFiles: 200,
  smallFileBytes: 16 * KiB,
  latencyGets: 10,
  coldGets: 2,
  restartFiles: 2_000,
  bigShareFiles: 20_000,
  coordinatorPeers: 100,
  coordinatorFiles: 20_000,
  coordinatorQueries: 200
}

export const DEFAULT_RUNS = { full: 3, quick: 2 }
