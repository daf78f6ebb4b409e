import { readFileSync, existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isKeyText, MAX_KEY_FILE_BYTES, parseNetworkKey } from '../host/network-key.js'
import { configSchema, describeIssue, nodeSchema, coordinatorSchema } from './schema.js'
import type { ConfigFile, Limits } from './schema.js'
import { ConfigError } from './errors.js'
import { DEFAULT_RELAY_LIMITS } from '../relay/constants.js'
import type { RelayLimits } from '../relay/constants.js'
import { parseRate } from '../bandwidth/rate.js'
import { parseListenAddress } from '../api/address.js'
import { DEFAULT_API_LISTEN } from '../api/constants.js'
import type { ListenAddress } from '../api/address.js'
import {
  DEFAULT_COORDINATOR_DATA_DIR, DEFAULT_COORDINATOR_LISTEN, DEFAULT_DATA_DIR, DEFAULT_DOWNLOADS_DIR,
  DEFAULT_GRACE_SECONDS, DEFAULT_LIMITS, DEFAULT_NODE_LISTEN, DEFAULT_SHARE_DIR, LOCAL_CONFIG_FILE,
  USER_CONFIG_FILE
} from './constants.js'

/** Options given on the command line; undefined means "not given". */
export interface Flags {
  config?: string
  dataDir?: string
  listen?: string[]
  coordinator?: string[]
  share?: string
  downloads?: string
  /** --max-upload / --max-download: a RATE (`4MiB`, `500KiB`, 0 = none). */
  maxUpload?: string
  maxDownload?: string
  /** --api-listen HOST:PORT, or false. */
  apiListen?: string
}

export interface NodeConfig {
  configFile?: string
  dataDir: string
  listen: string[]
  coordinators: string[]
  shareDir: string
  downloadsDir: string
  embeddedCoordinator: boolean
  /** Where an embedded coordinator listens (the file's coordinator.listen). */
  coordinatorListen: string[]
  coordinatorGraceSeconds: number
  seed: boolean
  /** Write big downloads with O_DIRECT where possible (src/transfer/direct-io.ts). */
  directWrites: boolean
  /** Start a download from one provider and fetch from more only while this machine has CPU to
   * spare, from fewer while its CPU limits the download (src/transfer/focus.ts). */
  focusProviders: boolean
  /** Find nodes on the LAN by mDNS. */
  mdns: boolean
  /** DHT bootstrap peers besides the coordinators. */
  peers: string[]
  limits: Limits
  /** The private network's key (pnet), checked; undefined: the open network. */
  networkKey?: Uint8Array
  /** An embedded coordinator's announce allow-list (the file's coordinator.allowPeers). */
  coordinatorAllowPeers?: string[]
  /** The HTTP listener (metrics); undefined: none. */
  apiListen?: ListenAddress
  /** True when apiListen was set rather than the default: then failing to listen is an error,
   * and the default only a warning (several nodes on one machine share 7880). */
  apiListenConfigured: boolean
  /** An embedded coordinator's relay (the file's coordinator.relay). */
  coordinatorRelay: RelayConfig
  /** Reserve a relay slot on the coordinators when not directly reachable. */
  relay: boolean
  /** UPnP port mapping on the home router. */
  upnp: boolean
}

export interface RelayConfig extends RelayLimits {
  enabled: boolean
}

export interface CoordinatorConfig {
  configFile?: string
  dataDir: string
  listen: string[]
  graceSeconds: number
  networkKey?: Uint8Array
  /** Peers allowed to announce (and to use the relay); undefined: everyone on the network. */
  allowPeers?: string[]
  relay: RelayConfig
  /** Where a standalone coordinator serves GET /metrics (coordinator.api.listen, --api-listen); none when absent. */
  apiListen?: ListenAddress
}

function relayConfig (section: ConfigFile['coordinator']): RelayConfig {
  return { enabled: true, ...DEFAULT_RELAY_LIMITS, ...(section?.relay ?? {}) }
}

type Env = Record<string, string | undefined>

/** Which config file applies: --config, FSNODE_CONFIG, ./config.json, then the user's. */
export function findConfigFile (flags: Flags, env: Env, cwd: string): string | undefined {
  const explicit = flags.config ?? env.FSNODE_CONFIG
  if (explicit != null && explicit !== '') {
    const file = resolve(cwd, explicit)
    if (!existsSync(file)) throw new ConfigError(`config file not found: ${file}`)
    return file
  }
  for (const candidate of [resolve(cwd, LOCAL_CONFIG_FILE), USER_CONFIG_FILE]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}

export function readConfigFile (file: string | undefined): ConfigFile {
  if (file == null) return {}
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err: any) {
    throw new ConfigError(`${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message}`)
  }
  const parsed = configSchema.safeParse(json)
  if (!parsed.success) throw new ConfigError(`${file}: ${describeIssue(parsed.error)}`)
  return parsed.data
}

/** An unset or empty variable is no value. */
function envText (env: Env, key: string): string | undefined {
  const v = env[key]
  return v == null || v === '' ? undefined : v
}

function envList (env: Env, key: string): string[] | undefined {
  const v = env[key]
  if (v == null || v.trim() === '') return undefined
  return v.split(/[,\s]+/).filter(s => s !== '')
}

function envBool (env: Env, key: string): boolean | undefined {
  const v = env[key]
  if (v == null || v === '') return undefined
  if (/^(1|true|yes|on)$/i.test(v)) return true
  if (/^(0|false|no|off)$/i.test(v)) return false
  throw new ConfigError(`${key}: expected true or false, got ${JSON.stringify(v)}`)
}

/**
 * Read a network key given as its text or as the path of a key file (relative to `base`).
 * `where` names the setting for the one-line error: `config.json: node.networkKey`.
 */
export function loadNetworkKey (value: string | undefined, base: string, where: string): Uint8Array | undefined {
  if (value == null) return undefined
  let text = value
  if (!isKeyText(value)) {
    const file = resolve(base, value)
    try {
      if (statSync(file).size > MAX_KEY_FILE_BYTES) throw new Error(`larger than ${MAX_KEY_FILE_BYTES} bytes, not a key file`)
      text = readFileSync(file, 'utf8')
    } catch (err: any) {
      throw new ConfigError(`${where}: cannot read the network key ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
    }
    where = `${where} (${file})`
  }
  try {
    return parseNetworkKey(text)
  } catch (err: any) {
    throw new ConfigError(`${where}: ${err.message}`)
  }
}

/** Where a node setting came from, for error lines: the variable, or the file's key. */
function origin (fromEnv: boolean, configFile: string | undefined, key: string, envName: string): string {
  return fromEnv ? envName : `${configFile ?? 'config'}: ${key}`
}

/** Validate values from flags or the environment with the same schema as the file. */
function checkOverrides (section: 'node' | 'coordinator', where: string, values: Record<string, unknown>): void {
  const schema = section === 'node' ? nodeSchema : coordinatorSchema
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)))
  if (!parsed.success) throw new ConfigError(`${where}: ${describeIssue(parsed.error)}`)
}

/** Flags, then FSNODE_* variables, then config.json, then defaults. Paths from the file are
 * relative to the file; paths from flags and the environment to the working directory. */
export function loadNodeConfig (flags: Flags, env: Env = process.env, cwd = process.cwd()): NodeConfig {
  const configFile = findConfigFile(flags, env, cwd)
  const whole = readConfigFile(configFile)
  const file = whole.node ?? {}
  const base = configFile != null ? dirname(configFile) : cwd
  const fromEnv = {
    dataDir: envText(env, 'FSNODE_DATA_DIR'),
    listen: envList(env, 'FSNODE_LISTEN'),
    coordinators: envList(env, 'FSNODE_COORDINATOR'),
    shareDir: envText(env, 'FSNODE_SHARE'),
    downloadsDir: envText(env, 'FSNODE_DOWNLOADS'),
    embeddedCoordinator: envBool(env, 'FSNODE_EMBEDDED_COORDINATOR'),
    seed: envBool(env, 'FSNODE_SEED'),
    directWrites: envBool(env, 'FSNODE_DIRECT_WRITES'),
    focusProviders: envBool(env, 'FSNODE_FOCUS_PROVIDERS'),
    mdns: envBool(env, 'FSNODE_MDNS'),
    peers: envList(env, 'FSNODE_PEERS'),
    networkKey: envText(env, 'FSNODE_NETWORK_KEY'),
    relay: envBool(env, 'FSNODE_RELAY'),
    upnp: envBool(env, 'FSNODE_UPNP')
  }
  checkOverrides('node', 'environment (FSNODE_*)', fromEnv)
  const fromFlags = {
    dataDir: flags.dataDir,
    listen: flags.listen,
    coordinators: flags.coordinator,
    shareDir: flags.share,
    downloadsDir: flags.downloads
  }
  checkOverrides('node', 'command line', fromFlags)
  const pick = <K extends keyof typeof fromEnv>(k: K): { v: any, base: string } | undefined => {
    if (fromFlags[k as keyof typeof fromFlags] !== undefined) return { v: fromFlags[k as keyof typeof fromFlags], base: cwd }
    if (fromEnv[k] !== undefined) return { v: fromEnv[k], base: cwd }
    if ((file as any)[k] !== undefined) return { v: (file as any)[k], base }
    return undefined
  }
  const path = (k: 'dataDir' | 'shareDir' | 'downloadsDir', def: string, defBase: string): string => {
    const p = pick(k)
    return p == null ? resolve(defBase, def) : resolve(p.base, p.v)
  }
  const dataDir = path('dataDir', DEFAULT_DATA_DIR, cwd)
  const key = pick('networkKey')
  const networkKey = loadNetworkKey(key?.v, key?.base ?? cwd, origin(fromEnv.networkKey !== undefined, configFile, 'node.networkKey', 'FSNODE_NETWORK_KEY'))
  return {
    configFile,
    dataDir,
    listen: pick('listen')?.v ?? DEFAULT_NODE_LISTEN,
    coordinators: pick('coordinators')?.v ?? [],
    shareDir: path('shareDir', DEFAULT_SHARE_DIR, base),
    downloadsDir: path('downloadsDir', DEFAULT_DOWNLOADS_DIR, base),
    embeddedCoordinator: pick('embeddedCoordinator')?.v ?? false,
    coordinatorListen: whole.coordinator?.listen ?? DEFAULT_COORDINATOR_LISTEN,
    coordinatorGraceSeconds: whole.coordinator?.graceSeconds ?? DEFAULT_GRACE_SECONDS,
    seed: pick('seed')?.v ?? true,
    directWrites: pick('directWrites')?.v ?? true,
    focusProviders: pick('focusProviders')?.v ?? true,
    mdns: pick('mdns')?.v ?? true,
    peers: pick('peers')?.v ?? [],
    limits: { ...DEFAULT_LIMITS, ...(file.limits ?? {}), ...flagRates(flags) },
    networkKey,
    coordinatorAllowPeers: whole.coordinator?.allowPeers,
    coordinatorRelay: relayConfig(whole.coordinator),
    relay: pick('relay')?.v ?? true,
    upnp: pick('upnp')?.v ?? true,
    ...apiListen(flags.apiListen, env.FSNODE_API_LISTEN, file.api?.listen, configFile)
  }
}

/** --api-listen, FSNODE_API_LISTEN, node.api.listen, else the default; `false` turns it off. */
function apiListen (flag: string | undefined, envValue: string | undefined, fromFile: string | false | undefined, configFile: string | undefined): Pick<NodeConfig, 'apiListen' | 'apiListenConfigured'> {
  const given: Array<[string | false | undefined, string]> = [[flag, '--api-listen'], [envValue === '' ? undefined : envValue, 'FSNODE_API_LISTEN'], [fromFile, `${configFile ?? 'config'}: node.api.listen`]]
  for (const [value, where] of given) {
    if (value === undefined) continue
    if (value === false || /^(false|off|none)$/i.test(value)) return { apiListen: undefined, apiListenConfigured: true }
    try {
      return { apiListen: parseListenAddress(value), apiListenConfigured: true }
    } catch (err: any) {
      throw new ConfigError(`${where}: ${err.message}`)
    }
  }
  return { apiListen: parseListenAddress(DEFAULT_API_LISTEN), apiListenConfigured: false }
}

/** --max-upload and --max-download, checked: a bad RATE is a one-line config error. */
function flagRates (flags: Flags): Partial<Pick<Limits, 'upload' | 'download'>> {
  const out: Partial<Pick<Limits, 'upload' | 'download'>> = {}
  for (const [key, flag, value] of [['upload', '--max-upload', flags.maxUpload], ['download', '--max-download', flags.maxDownload]] as const) {
    if (value === undefined) continue
    try {
      out[key] = parseRate(value)
    } catch (err: any) {
      throw new ConfigError(`${flag}: ${err.message}`)
    }
  }
  return out
}

export function loadCoordinatorConfig (flags: Flags, env: Env = process.env, cwd = process.cwd()): CoordinatorConfig {
  const configFile = findConfigFile(flags, env, cwd)
  const file = readConfigFile(configFile)?.coordinator ?? {}
  const base = configFile != null ? dirname(configFile) : cwd
  const envListen = envList(env, 'FSNODE_LISTEN')
  const envDataDir = envText(env, 'FSNODE_DATA_DIR')
  const envGrace = env.FSNODE_GRACE_SECONDS != null && env.FSNODE_GRACE_SECONDS !== '' ? Number(env.FSNODE_GRACE_SECONDS) : undefined
  if (envGrace !== undefined && !(Number.isInteger(envGrace) && envGrace > 0)) {
    throw new ConfigError(`FSNODE_GRACE_SECONDS: expected a positive whole number, got ${JSON.stringify(env.FSNODE_GRACE_SECONDS)}`)
  }
  checkOverrides('coordinator', 'environment (FSNODE_*)', { listen: envListen, dataDir: envDataDir })
  checkOverrides('coordinator', 'command line', { listen: flags.listen, dataDir: flags.dataDir })
  const dataDir = flags.dataDir != null
    ? resolve(cwd, flags.dataDir)
    : envDataDir != null ? resolve(cwd, envDataDir) : file.dataDir != null ? resolve(base, file.dataDir) : DEFAULT_COORDINATOR_DATA_DIR
  const envKey = envText(env, 'FSNODE_NETWORK_KEY')
  const networkKey = envKey != null
    ? loadNetworkKey(envKey, cwd, 'FSNODE_NETWORK_KEY')
    : loadNetworkKey(file.networkKey, base, `${configFile ?? 'config'}: coordinator.networkKey`)
  return {
    configFile,
    dataDir,
    listen: flags.listen ?? envListen ?? file.listen ?? DEFAULT_COORDINATOR_LISTEN,
    graceSeconds: envGrace ?? file.graceSeconds ?? DEFAULT_GRACE_SECONDS,
    networkKey,
    allowPeers: file.allowPeers,
    relay: relayConfig({ relay: file.relay }),
    apiListen: coordinatorApiListen(flags.apiListen, file.api?.listen, configFile)
  }
}

/** --api-listen, else coordinator.api.listen; unlike a node's, off unless one is given. */
function coordinatorApiListen (flag: string | undefined, fromFile: string | false | undefined, configFile: string | undefined): ListenAddress | undefined {
  const [value, where] = flag !== undefined ? [flag, '--api-listen'] : [fromFile, `${configFile ?? 'config'}: coordinator.api.listen`]
  if (value === undefined || value === false || /^(false|off|none)$/i.test(value)) return undefined
  try {
    return parseListenAddress(value)
  } catch (err: any) {
    throw new ConfigError(`${where}: ${err.message}`)
  }
}
