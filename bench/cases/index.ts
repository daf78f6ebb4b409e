// Every case, in the order they run: the baselines first, so the fsnode cases that follow are
// compared with figures from the same run. To add a case: write a BenchCase module and list it here.
import { tcpCase } from './tcp.js'
import { libp2pCase } from './libp2p.js'
import { sha256Case } from './sha256.js'
import { oneProviderCase, threeProvidersCase } from './providers.js'
import { smallFilesCase } from './small-files.js'
import { folderCase } from './folder.js'
import { latencyCase } from './latency.js'
import { indexingCase } from './indexing.js'
import { restartCase } from './restart.js'
import { bigShareCase } from './big-share.js'
import { coordinatorCase } from './coordinator.js'
import { dhtCase } from './dht.js'
import { chunkSizeCase } from './chunk-size.js'
import { relayCase } from './relay.js'
import type { BenchCase } from '../lib/types.js'

export const CASES: BenchCase[] = [
  tcpCase,
  libp2pCase,
  sha256Case,
  oneProviderCase,
  threeProvidersCase,
  smallFilesCase,
  folderCase,
  latencyCase,
  indexingCase,
  restartCase,
  bigShareCase,
  coordinatorCase,
  dhtCase,
  chunkSizeCase,
  relayCase
]
