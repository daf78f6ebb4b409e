import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createConnection } from 'node:net'
import { EventStreams } from '../../src/api/events.js'
import { NodeEvents } from '../../src/node/events.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

describe('api: event streams', () => {
  let server: Server
  let streams: EventStreams
  let events: NodeEvents
  beforeEach(async () => {
    events = new NodeEvents()
    streams = new EventStreams(events, { maxBufferBytes: 64 * 1024, maxClients: 2, pingMs: 50 })
    server = createServer((_req, res) => {
      try { streams.open(res) } catch (err: any) { res.writeHead(503).end(err.name) }
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    streams.close()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('sends named events and pings to a reader', async () => {
    const port = (server.address() as AddressInfo).port
    const res = await fetch(`http://127.0.0.1:${port}/`)
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const reader = res.body!.getReader()
    const dec = new TextDecoder()
    let text = ''
    events.emit('limits', { upload: 1, download: 2, limitLan: false })
    while (!text.includes(': ping') || !text.includes('event: limits')) text += dec.decode((await reader.read()).value)
    assert.match(text, /event: limits\ndata: \{"upload":1,"download":2,"limitLan":false\}\n\n/)
    await reader.cancel()
  })

  it('drops a client that does not read once its queue passes the bound; memory stays bounded', async () => {
    const port = (server.address() as AddressInfo).port
    const sock = createConnection(port, '127.0.0.1')
    await new Promise(resolve => sock.once('connect', resolve))
    sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    sock.pause() // never reads
    while (streams.size === 0) await new Promise(resolve => setTimeout(resolve, 10))
    const big = { upload: 0, download: 0, limitLan: false, pad: 'x'.repeat(16 * 1024) } as any
    for (let i = 0; i < 2000 && streams.size > 0; i++) {
      events.emit('limits', big)
      if (i % 50 === 0) await new Promise(resolve => setImmediate(resolve))
    }
    assert.equal(streams.dropped, 1)
    assert.equal(streams.size, 0)
    sock.destroy()
  })

  it('refuses clients past maxClients', async () => {
    const port = (server.address() as AddressInfo).port
    const a = await fetch(`http://127.0.0.1:${port}/`)
    const b = await fetch(`http://127.0.0.1:${port}/`)
    const c = await fetch(`http://127.0.0.1:${port}/`)
    assert.equal(c.status, 503)
    assert.equal(await c.text(), 'TooManyClientsError')
    await a.body?.cancel()
    await b.body?.cancel()
  })
})
