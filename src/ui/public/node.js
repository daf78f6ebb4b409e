// The node itself: status line, peers and how each is reached, bandwidth limits.
import { useEffect, useState } from './vendor/hooks.js'
import { html } from './html.js'
import { api } from './api.js'
import { parseRate, rate, rateText, shortId } from './format.js'

const REACH = {
  public: 'reachable from the internet',
  relayed: 'reachable through a relay',
  lan: 'reachable on the local network only'
}

export function StatusView ({ status, live }) {
  if (status == null) return html`<p class="muted">Connecting…</p>`
  const coords = status.coordinators ?? []
  const up = coords.filter(c => c.connected).length
  return html`<dl class="status" aria-label="Node status">
    <div><dt>Node</dt><dd title=${status.peerId}><code>${shortId(status.peerId)}</code> ${status.running ? 'running' : 'stopped'}</dd></div>
    <div><dt>Peers</dt><dd data-testid="peer-count">${status.peers}</dd></div>
    <div><dt>Coordinators</dt><dd>${up} of ${coords.length} connected${status.embeddedCoordinator ? ' · runs one' : ''}</dd></div>
    ${status.reachability && html`<div><dt>Reachability</dt><dd>${REACH[status.reachability.mode] ?? status.reachability.mode}</dd></div>`}
    <div><dt>Updates</dt><dd>${live ? 'live' : 'reconnecting…'}</dd></div>
  </dl>`
}

export function PeersView ({ peers, status }) {
  const reach = status?.reachability
  return html`
    <section aria-labelledby="peers-h" class="peers">
      <h2 id="peers-h">Peers</h2>
      <table class="list" aria-label="Peers">
        <thead><tr><th scope="col">Peer</th><th scope="col">Reached by</th><th scope="col">Address</th></tr></thead>
        <tbody>
          ${peers.map((p, i) => html`<tr key=${p.peerId + i}>
            <td title=${p.peerId}><code>${shortId(p.peerId)}</code></td>
            <td>${p.relayed ? 'relay' : 'direct'}, ${p.direction === 'inbound' ? 'they dialled' : 'we dialled'}</td>
            <td><code class="addr">${p.addr}</code></td>
          </tr>`)}
          ${peers.length === 0 && html`<tr><td colspan="3" class="muted">No peer connected.</td></tr>`}
        </tbody>
      </table>
      ${reach && html`<details>
        <summary>This node's addresses</summary>
        <ul class="plain addrs">
          ${reach.public.map(a => html`<li key=${a}><code>${a}</code> (public)</li>`)}
          ${reach.local.map(a => html`<li key=${a}><code>${a}</code> (local)</li>`)}
          ${reach.relays.filter(r => r.reserved).flatMap(r => r.addrs).map(a => html`<li key=${a}><code>${a}</code> (relayed)</li>`)}
        </ul>
      </details>`}
    </section>`
}

export function LimitsView ({ limits, guard, onChange }) {
  const [up, setUp] = useState('')
  const [down, setDown] = useState('')
  const [problem, setProblem] = useState()
  const [note, setNote] = useState()

  // show what is in force whenever it changes (here or from elsewhere, via the limits event)
  useEffect(() => {
    if (limits == null) return
    setUp(rateText(limits.upload))
    setDown(rateText(limits.download))
  }, [limits?.upload, limits?.download])

  const save = async e => {
    e.preventDefault()
    const upload = parseRate(up)
    const download = parseRate(down)
    if (upload === undefined || download === undefined) {
      setProblem(`Not a rate: ${upload === undefined ? up : down} (e.g. 4MiB, 500KiB, 0 for none)`)
      return
    }
    setProblem(undefined)
    try {
      const r = await guard(() => api.setLimits({ upload, download }))
      onChange(r)
      setNote(`Limits set: upload ${r.upload ? rate(r.upload) : 'none'}, download ${r.download ? rate(r.download) : 'none'}`)
    } catch {
      setNote(undefined)
    }
  }

  const show = n => n ? rate(n) : 'none'
  return html`
    <section aria-labelledby="limits-h" class="limits">
      <h2 id="limits-h">Bandwidth limits</h2>
      ${limits && html`<p data-testid="limits">${`In force: upload ${show(limits.upload)}, download ${show(limits.download)} · ${limits.limitLan ? 'local network limited too' : 'local network not limited'}`}</p>`}
      <form class="grid" onSubmit=${save}>
        <label for="limit-up">Upload limit</label>
        <input id="limit-up" type="text" inputmode="text" aria-describedby="limit-help" value=${up} onInput=${e => setUp(e.currentTarget.value)} />
        <label for="limit-down">Download limit</label>
        <input id="limit-down" type="text" inputmode="text" aria-describedby="limit-help" value=${down} onInput=${e => setDown(e.currentTarget.value)} />
        <p id="limit-help" class="muted small">Per second, e.g. 4MiB or 500KiB; 0 for no limit.</p>
        <button type="submit">Set limits</button>
      </form>
      ${problem && html`<p class="error" role="alert">${problem}</p>`}
      ${note && html`<p class="note" role="status">${note}</p>`}
    </section>`
}
