import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { download } from '../../src/transfer/downloader.js'
import { StreamReader } from '../../src/wire/stream-reader.js'
import { waitForDrain } from '../../src/wire/framing.js'
import { Cleanup, makeHost, makeProvider, randomFile, shareFile, tempDir } from './helpers.js'
import type { Host } from '../../src/host/create-host.js'
import type { SharedFile } from '../../src/share/types.js'

const MiB = 1024 * 1024
const SIZE = Number(process.env.FSNODE_BENCH_MIB ?? 256) * MiB
const ROUNDS = Number(process.env.FSNODE_BENCH_ROUNDS ?? 3)

/**
 * Measurements, not checks (skipped unless FSNODE_BENCH=1):
 *   FSNODE_BENCH=1 npx mocha dist/test/transfer/throughput.spec.js
 * Every host runs in this one process (one JS thread does both ends' crypto), so the figures
 * are for comparing the download path with a bare stream, not absolute speeds. Runs alternate
 * so load from other processes hits all of them alike.
 */
;(process.env.FSNODE_BENCH === '1' ? describe : describe.skip)('transfer/throughput', function () {
  this.timeout(600_000)
  const cleanup = new Cleanup()
  after(async () => { await cleanup.run() })

  async function bare (a: Host, b: Host): Promise<number> {
    const t0 = Date.now()
    const s = await b.dialProtocol(multiaddr(a.getMultiaddrs()[0]), '/bench/1')
    const r = new StreamReader(s, { highWater: 64 * MiB })
    let got = 0
    for (let p; (p = await r.readSome(4 * MiB)) != null;) got += p.byteLength
    return got / MiB / ((Date.now() - t0) / 1000)
  }

  async function fetch (file: SharedFile, providers: number): Promise<number> {
    const ps = await Promise.all(Array.from({ length: providers }, async () => await makeProvider(cleanup)))
    for (const p of ps) p.source.add(file)
    const client = await makeHost(cleanup)
    const r = await download({ node: client, fileId: file.fileId, name: 'big.bin', providers: ps.map(p => p.info), outDir: await tempDir(cleanup) })
    await Promise.all([client.stop(), ...ps.map(async p => { await p.host.stop() })])
    return r.bytesPerSecond / MiB
  }

  it(`${SIZE / MiB} MiB: bare libp2p stream vs. download from 1 and 2 providers`, async () => {
    const [a, b] = await Promise.all([makeHost(cleanup), makeHost(cleanup)])
    await a.handle('/bench/1', (stream) => {
      void (async () => {
        for (let sent = 0; sent < SIZE; sent += 512 * 1024) {
          if (!stream.send(new Uint8Array(512 * 1024))) await waitForDrain(stream, AbortSignal.timeout(30_000))
        }
        await stream.close()
      })()
    })
    const file = await shareFile(await randomFile(join(await tempDir(cleanup), 'big.bin'), SIZE), 'big.bin')
    const runs: Record<string, number[]> = { bare: [], 'download, 1 provider': [], 'download, 2 providers': [] }
    for (let i = 0; i < ROUNDS; i++) {
      runs.bare.push(await bare(a, b))
      runs['download, 1 provider'].push(await fetch(file, 1))
      runs['download, 2 providers'].push(await fetch(file, 2))
    }
    for (const [what, v] of Object.entries(runs)) {
      const median = [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]
      console.log(`      ${what}: median ${median.toFixed(0)} MiB/s (runs: ${v.map(x => x.toFixed(0)).join(', ')})`)
    }
  })
})
