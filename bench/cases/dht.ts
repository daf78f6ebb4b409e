// The DHT without a coordinator (issue 6): in a network of libp2p hosts running fsnode's DHT
// setup, how long a node takes to find a provider of a file id it never saw, and what keeping
// provider records fresh costs. The hosts live in this process (50 full, 20 quick); the
// measurement itself is shared with the tests (kit/dht-measure.ts).
import { measureDhtLookup } from '../../kit/dht-measure.js'
import type { BenchCase, RunResult } from '../lib/types.js'

const FULL_HOSTS = 50
const QUICK_HOSTS = 20
const LOOKUPS = 12

export const dhtCase: BenchCase = {
  name: 'dht',
  title: 'DHT: find providers of a file id, and record upkeep',
  runs: { full: 1, quick: 1 },
  metrics: [
    { key: 'lookup', label: 'time to first provider (median)', unit: 'ms', better: 'lower' },
    { key: 'lookupP90', label: 'time to first provider (p90)', unit: 'ms', better: 'lower' },
    { key: 'provide', label: 'provide (median)', unit: 'ms', better: 'lower' },
    { key: 'provideKB', label: 'DHT bytes per provide at the provider', unit: 'KB', better: 'lower' },
    { key: 'upkeepKB', label: 'upkeep per shared file per day', unit: 'KB', better: 'lower' },
    { key: 'join', label: 'network join', unit: 's', better: 'lower' }
  ],
  async prepare (ctx) {
    const hosts = ctx.profile.quick ? QUICK_HOSTS : FULL_HOSTS
    return {
      describe: `${hosts} hosts (kad-dht on /fileshare/kad/1.0.0, one process), ${LOOKUPS} lookups, each of a file id provided by another node`,
      async run (): Promise<RunResult> {
        const m = await measureDhtLookup({ hosts, lookups: LOOKUPS })
        return {
          values: {
            lookup: m.networkLookupMs.median,
            lookupP90: m.networkLookupMs.p90,
            provide: m.provideMs.median,
            provideKB: m.provideBytes.median / 1000,
            upkeepKB: m.upkeepBytesPerFilePerDay / 1000,
            join: m.joinMs / 1000
          },
          info: { ...m }
        }
      }
    }
  }
}
