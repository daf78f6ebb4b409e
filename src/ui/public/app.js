// fsnode web UI: one page, preact + htm as plain ES modules (no build step). Everything remote
// (file names, paths, peer ids) is rendered as text nodes by preact, never parsed as HTML.
import { render } from './vendor/preact.js'
import { useCallback, useEffect, useRef, useState } from './vendor/hooks.js'
import { html } from './html.js'
import { api, subscribe } from './api.js'
import { FilesView } from './files.js'
import { DownloadsView } from './downloads.js'
import { SharesView } from './shares.js'
import { StatusView, PeersView, LimitsView } from './node.js'

/** Status and peers change without events of their own (addresses, coordinators): poll them. */
const POLL_MS = 5_000

function App () {
  const [signedOut, setSignedOut] = useState(false)
  const [live, setLive] = useState(false)
  const [status, setStatus] = useState()
  const [peers, setPeers] = useState([])
  const [limits, setLimits] = useState()
  const [shares, setShares] = useState([])
  const [downloads, setDownloads] = useState([])
  const [error, setError] = useState()
  /** target → the name the user clicked: a get by file id is named by its id until it ends. */
  const [labels, setLabels] = useState({})
  /** What runs in the background (poll timer, event stream): stopped the moment the session is gone. */
  const background = useRef({})
  const signOut = useCallback(() => {
    clearInterval(background.current.timer)
    background.current.stop?.()
    background.current = {}
    setSignedOut(true)
  }, [])

  /** Runs an API call; a 401 means the session is gone, anything else is shown in the banner. */
  const guard = useCallback(async (fn) => {
    try {
      const r = await fn()
      setError(undefined)
      return r
    } catch (err) {
      if (err.status === 401) signOut()
      else setError(err.message)
      throw err
    }
  }, [])

  const refresh = useCallback(async () => {
    const [s, p] = await Promise.all([api.status(), api.peers()])
    setStatus(s)
    setPeers(p)
  }, [])
  const refreshShares = useCallback(async () => { setShares(await api.shares()) }, [])

  /** A download from the API or an event: replace it by id, keep running ones first. */
  const upsert = useCallback(d => {
    setDownloads(list => sortDownloads([d, ...list.filter(x => x.id !== d.id)]))
  }, [])

  useEffect(() => {
    const bg = background.current
    guard(async () => {
      await refresh()
      const [l, sh, dl] = await Promise.all([api.limits(), api.shares(), api.downloads()])
      setLimits(l)
      setShares(sh)
      setDownloads(sortDownloads(dl))
      if (background.current !== bg) return // signed out meanwhile
      bg.stop = subscribe({
        download: upsert,
        limits: setLimits,
        shares: () => { refreshShares().catch(() => {}); refresh().catch(() => {}) },
        peers: () => { refresh().catch(() => {}) }
      }, setLive)
    }).catch(() => {})
    // polling stops once the session is gone (the page then only says how to sign in): a poll
    // that kept going would only log a 401 every few seconds
    bg.timer = setInterval(() => {
      refresh().catch(err => { if (err.status === 401) signOut() })
    }, POLL_MS)
    return () => { clearInterval(bg.timer); bg.stop?.() }
  }, [])

  if (signedOut) {
    return html`<main class="signed-out">
      <h1>fsnode</h1>
      <p role="alert">Not signed in. Run <code>fsnode ui</code> on this machine: it opens this page with a one-time login code.</p>
    </main>`
  }

  const startGet = async (target, label) => {
    if (label != null) setLabels(l => ({ ...l, [target]: label }))
    const d = await guard(() => api.get(target))
    upsert(d)
    return d
  }
  const cancel = async id => { upsert(await guard(() => api.cancel(id))) }

  return html`
    <header>
      <h1>fsnode</h1>
      <${StatusView} status=${status} live=${live} />
    </header>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <main>
      <div class="col">
        <${FilesView} guard=${guard} onGet=${startGet} />
        <${SharesView} shares=${shares} share=${status?.share} guard=${guard} onChange=${() => { refreshShares().catch(() => {}); refresh().catch(() => {}) }} />
        <${LimitsView} limits=${limits} guard=${guard} onChange=${setLimits} />
      </div>
      <div class="col">
        <${DownloadsView} downloads=${downloads} labels=${labels} onCancel=${cancel} onGet=${startGet} />
        <${PeersView} peers=${peers} status=${status} />
      </div>
    </main>`
}

const ORDER = { running: 0, done: 1, failed: 1, cancelled: 1 }
function sortDownloads (list) {
  return [...list].sort((a, b) => (ORDER[a.state] - ORDER[b.state]) || ((b.endedAt ?? b.startedAt) - (a.endedAt ?? a.startedAt)))
}

const root = document.getElementById('app')
root.textContent = '' // the static "Loading…" line
render(html`<${App} />`, root)
