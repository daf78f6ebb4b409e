// The node's HTTP API (/api/v1). The browser sends the session cookie set by /ui/login; no
// token ever reaches the page. State-changing calls carry the page's Origin (same-origin check).

export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

const TIMEOUT_MS = 30_000

export async function call (method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS)
  }
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res
  try {
    res = await fetch('/api/v1' + path, init)
  } catch (err) {
    throw new ApiError(0, 'NetworkError', `the node did not answer (${err.message})`)
  }
  const text = await res.text()
  let data
  try {
    data = text === '' ? undefined : JSON.parse(text)
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const e = data?.error
    throw new ApiError(res.status, e?.code ?? `HTTP${res.status}`, e?.message ?? `${res.status} ${res.statusText}`)
  }
  return data
}

const q = s => encodeURIComponent(s)

export const api = {
  status: () => call('GET', '/status'),
  files: path => call('GET', path ? `/files?path=${q(path)}` : '/files'),
  search: text => call('GET', `/search?q=${q(text)}`),
  downloads: () => call('GET', '/downloads'),
  get: target => call('POST', '/downloads', { target }),
  cancel: id => call('DELETE', `/downloads/${q(id)}`),
  shares: () => call('GET', '/shares'),
  share: path => call('POST', '/shares', { path }),
  unshare: path => call('DELETE', `/shares?path=${q(path)}`),
  peers: () => call('GET', '/peers'),
  limits: () => call('GET', '/limits'),
  setLimits: change => call('PUT', '/limits', change)
}

/**
 * Server-sent events: calls `handlers[name](data)` for each event. EventSource reconnects by
 * itself after a drop; `onState(open)` tells the page whether it is live.
 */
export function subscribe (handlers, onState) {
  const es = new EventSource('/api/v1/events')
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, ev => {
      let data
      try { data = JSON.parse(ev.data) } catch { return }
      fn(data)
    })
  }
  es.onopen = () => onState(true)
  es.onerror = () => onState(false)
  return () => es.close()
}
