import { request } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: any
}

/** A request with exactly the headers given (fetch would not let a test set Host or Origin). */
export async function raw (base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  const url = new URL(path, base)
  return await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, timeout: 30_000 }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', d => { text += d })
      res.on('end', () => {
        let json: any
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json })
      })
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)))
    req.end(body)
  })
}

export interface SseEvent { event: string, data: any }

/** GET /events as a reader of parsed events. */
export async function openEvents (url: string, headers: Record<string, string>): Promise<{ events: SseEvent[], next: (pred: (e: SseEvent) => boolean, timeoutMs?: number) => Promise<SseEvent>, close: () => Promise<void> }> {
  const controller = new AbortController()
  const res = await fetch(url, { headers, signal: controller.signal })
  if (res.status !== 200) throw new Error(`GET /events: ${res.status} ${await res.text()}`)
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  void (async () => {
    const dec = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body as any) {
        buf += dec.decode(chunk, { stream: true })
        let i: number
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const ev = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (ev != null && data != null) events.push({ event: ev, data: JSON.parse(data) })
          for (const w of waiters) w()
        }
      }
    } catch {}
  })()
  let seen = 0
  const next = async (pred: (e: SseEvent) => boolean, timeoutMs = 60_000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      for (; seen < events.length; seen++) if (pred(events[seen])) return events[seen++]
      await new Promise<void>(resolve => { const t = setTimeout(resolve, 200); waiters.add(() => { clearTimeout(t); resolve() }) })
      waiters.clear()
    }
    throw new Error(`no matching event within ${timeoutMs} ms; got ${events.map(e => e.event).join(',')}`)
  }
  return { events, next, close: async () => { controller.abort() } }
}
