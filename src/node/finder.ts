import { logger } from '@libp2p/logger'
import { IndexClient } from '../index/client.js'
import { groupByFile } from '../index/decode.js'
import { NoCoordinatorError } from './errors.js'
import { dialFailure, isWrongPeer } from '../host/peer-check.js'
import type { Dialer } from '../index/client.js'
import type { IndexLookupResult, IndexPage } from '../index/decode.js'
import type { NetworkFile } from './api.js'

const log = logger('fsnode:node:finder')

/** How many names `search` returns at most (a page or a few of the coordinator's). */
export const MAX_SEARCH_RESULTS = 1000
/** `ls` stops after this many entries rather than building an unbounded list. */
export const MAX_LIST_ENTRIES = 200_000

/**
 * Asks the configured coordinators (the first that answers) what the network shares. One
 * IndexClient per coordinator, kept open for the node's lifetime.
 */
export class Finder {
  private readonly clients: Array<{ addr: string, client: IndexClient }>

  constructor (node: Dialer, coordinators: string[]) {
    this.clients = coordinators.map(addr => ({ addr, client: IndexClient.forNode(node, addr) }))
  }

  get hasCoordinators (): boolean {
    return this.clients.length > 0
  }

  /** Run `fn` against each coordinator in turn until one answers. */
  private async first<T> (what: string, fn: (c: IndexClient) => Promise<T>): Promise<T> {
    if (this.clients.length === 0) {
      throw new NoCoordinatorError(`${what} needs a coordinator; none is configured (--coordinator or node.coordinators)`)
    }
    let lastErr: any
    let lastAddr: string | undefined
    for (const { addr, client } of this.clients) {
      try {
        return await fn(client)
      } catch (err: any) {
        log('coordinator %s failed %s: %s', addr, what, err.message)
        lastErr = err
        lastAddr = addr
        if (err.name === 'IndexError' || err.name === 'BadRequestError') throw err // it answered: a real error
      }
    }
    // a coordinator that is not the peer its address names is a wrong address, not a silence
    if (isWrongPeer(lastErr)) throw new NoCoordinatorError(`${what}: ${dialFailure(lastErr, lastAddr)} (--coordinator or node.coordinators)`)
    throw new NoCoordinatorError(`${what}: no coordinator answered (${String(lastErr?.message ?? 'unknown error')})${handshakeHint(lastErr)}`)
  }

  async list (prefix?: string, signal?: AbortSignal): Promise<NetworkFile[]> {
    return await this.first('listing files', async c => {
      const pages: IndexPage[] = []
      let n = 0
      for await (const page of c.listAll({ prefix, signal })) {
        pages.push(page)
        n += page.entries.length
        if (n >= MAX_LIST_ENTRIES) break
      }
      return sortByName(groupByFile(pages))
    })
  }

  async search (text: string, signal?: AbortSignal): Promise<NetworkFile[]> {
    return await this.first('search', async c => {
      const pages: IndexPage[] = []
      let n = 0
      for await (const page of c.searchAll(text, { signal })) {
        pages.push(page)
        n += page.entries.length
        if (n >= MAX_SEARCH_RESULTS) break
      }
      return sortByName(groupByFile(pages))
    })
  }

  async lookupName (name: string, signal?: AbortSignal): Promise<IndexLookupResult[]> {
    return await this.first('looking up a name', async c => await c.lookup({ name }, { signal }))
  }

  async lookupFileId (fileId: string, signal?: AbortSignal): Promise<IndexLookupResult[]> {
    return await this.first('looking up a file id', async c => await c.lookup({ fileId }, { signal }))
  }

  async close (): Promise<void> {
    await Promise.all(this.clients.map(async ({ client }) => { await client.close().catch(() => {}) }))
  }
}

// what a dial looks like when the other side is on a private network with another key (or
// none): the TCP connection opens, then the handshake is cut or is gibberish
const HANDSHAKE_FAILURE = /ECONNRESET|EPIPE|protocol selection|message length|missing newline|unexpected end|EOF|invalid message|stream reset|handshake/i

function handshakeHint (err: any): string {
  return HANDSHAKE_FAILURE.test(String(err?.message)) ? '; the connection was cut during the handshake: is the coordinator on a private network with another node.networkKey?' : ''
}

function sortByName (files: NetworkFile[]): NetworkFile[] {
  return files.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}
