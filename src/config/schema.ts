import { z } from 'zod'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { parseRate } from '../bandwidth/rate.js'
import { parseListenAddress } from '../api/address.js'

const listenAddr = z.string().refine(isMultiaddr, { message: 'not a valid multiaddr' })
const coordinatorAddr = z.string()
  .refine(isMultiaddr, { message: 'not a valid multiaddr' })
  .refine(s => /\/p2p\/[^/]+$/.test(s), { message: 'a coordinator address must end in /p2p/<peer id>' })
  .refine(s => isPeerId(s.slice(s.lastIndexOf('/p2p/') + 5)), { message: 'the peer id after /p2p/ is not a valid peer id (cut short or mistyped?)' })

/** A private network's key: the path of a key file (relative to the config file) or its text. */
const networkKey = z.string().min(1)
const peerId = z.string().refine(isPeerId, { message: 'not a valid peer id' })

export function isPeerId (s: string): boolean {
  try {
    peerIdFromString(s)
    return true
  } catch {
    return false
  }
}

export function isMultiaddr (s: string): boolean {
  try {
    multiaddr(s)
    return true
  } catch {
    return false
  }
}

const positiveInt = z.number().int().positive()

/** Bytes per second as a number or a RATE string (`4MiB`, `500KiB`); 0 = no limit. */
export const rateSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseRate(v)
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: err.message })
    return z.NEVER
  }
})

const apiListen = z.union([z.literal(false), z.string().refine(isListenAddress, { message: 'not HOST:PORT (e.g. 127.0.0.1:7880; port 0 = any free port; false = off)' })])

function isListenAddress (s: string): boolean {
  try {
    parseListenAddress(s)
    return true
  } catch {
    return false
  }
}

export const limitsSchema = z.object({
  streamsPerPeer: positiveInt.max(64).optional(),
  maxInflightChunks: positiveInt.max(1024).optional(),
  maxInboundStreams: positiveInt.max(1024).optional(),
  concurrentFiles: positiveInt.max(64).optional(),
  /** Upload limit for the whole node (RATE), 0 = none. */
  upload: rateSchema.optional(),
  /** Download limit for the whole node (RATE), 0 = none. */
  download: rateSchema.optional(),
  /** Apply the limits to peers on the local network too. */
  limitLan: z.boolean().optional(),
  /** Limits for each peer on its own (RATE), within the node's; 0 = none. */
  perPeer: z.object({ upload: rateSchema.optional(), download: rateSchema.optional() }).strict().optional()
}).strict()

const nonNegativeInt = z.number().int().nonnegative()

/** The coordinator's circuit relay (see README "Behind NAT"). */
export const relaySchema = z.object({
  enabled: z.boolean().optional(),
  maxReservations: positiveInt.max(100_000).optional(),
  reservationTtlSeconds: positiveInt.min(60).max(24 * 3600).optional(),
  /** 0: no limit */
  peerBytesPerSecond: nonNegativeInt.optional(),
  totalBytesPerSecond: nonNegativeInt.optional()
}).strict()

export const nodeSchema = z.object({
  listen: z.array(listenAddr).optional(),
  coordinators: z.array(coordinatorAddr).optional(),
  shareDir: z.string().min(1).optional(),
  downloadsDir: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  /** Run the coordinator inside this node (a one-machine network, `npm start`). */
  embeddedCoordinator: z.boolean().optional(),
  /** Find other nodes on the LAN by mDNS. */
  mdns: z.boolean().optional(),
  /** Other nodes to join the DHT through (besides the coordinators), each ending in /p2p/<id>. */
  peers: z.array(coordinatorAddr).optional(),
  /** Serve and announce files after downloading them. */
  seed: z.boolean().optional(),
  /** Write big downloads with O_DIRECT, past the page cache, where the file system allows it. */
  directWrites: z.boolean().optional(),
  /** While this machine's CPU is what limits a download, fetch from its fastest providers
   * only; the others stay connected, in reserve. */
  focusProviders: z.boolean().optional(),
  limits: limitsSchema.optional(),
  /** The HTTP listener (GET /metrics): HOST:PORT, port 0 = any free port, false = none. */
  api: z.object({ listen: apiListen.optional() }).strict().optional(),
  /** Join only the private network of this key (see `fsnode network-key`). */
  networkKey: networkKey.optional(),
  /** Reserve a relay slot on the coordinators when not directly reachable. */
  relay: z.boolean().optional(),
  /** Ask the home router for a port mapping by UPnP. */
  upnp: z.boolean().optional()
}).strict()

export const coordinatorSchema = z.object({
  listen: z.array(listenAddr).optional(),
  dataDir: z.string().min(1).optional(),
  graceSeconds: positiveInt.optional(),
  networkKey: networkKey.optional(),
  /** Only these peers may announce; everyone on the network may still list and look up. */
  allowPeers: z.array(peerId).optional(),
  relay: relaySchema.optional(),
  /** GET /metrics of a standalone coordinator: HOST:PORT (port 0 = any), false or absent = none. */
  api: z.object({ listen: apiListen.optional() }).strict().optional()
}).strict()

export const configSchema = z.object({
  coordinator: coordinatorSchema.optional(),
  node: nodeSchema.optional()
}).strict()

export type ConfigFile = z.infer<typeof configSchema>
export type Limits = Required<z.output<typeof limitsSchema>>

/** The first problem as one line: `node.listen[0]: not a valid multiaddr`. */
export function describeIssue (error: z.ZodError): string {
  const issue = error.issues[0]
  if (issue == null) return 'invalid'
  const path = issue.path.map((p, i) => typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`).join('')
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as any).keys as string[]
    return `unknown key ${path === '' ? '' : `${path}.`}${keys[0]}`
  }
  return `${path === '' ? '' : `${path}: `}${issue.message}`
}
