// Downloads in progress and done. Progress comes live from the `download` events; a cancelled
// or failed get keeps its partial file, so "Resume" simply gets the same target again.
import { html } from './html.js'
import { bytes, duration, rate, shortId } from './format.js'

function Progress ({ d }) {
  const pct = d.bytesTotal > 0 ? Math.floor(d.bytesDone / d.bytesTotal * 100) : 0
  return html`<div class="progress">
    <progress max=${d.bytesTotal || 1} value=${d.bytesDone} aria-label=${`Progress of ${d.name}`}>${pct}%</progress>
    <span class="figures" data-testid="progress">${[
      `${bytes(d.bytesDone)} of ${bytes(d.bytesTotal)} (${pct}%)`,
      rate(d.rate),
      `ETA ${d.etaSeconds == null ? '?' : duration(d.etaSeconds)}`,
      `${d.peers} peer${d.peers === 1 ? '' : 's'}`,
      d.filesTotal != null ? `${d.filesDone ?? 0} of ${d.filesTotal} files` : ''
    ].filter(Boolean).join(' · ')}</span>
  </div>`
}

function Result ({ d }) {
  const r = d.result
  if (r == null) return null
  const files = r.files?.length
  const parts = [
    `${bytes(r.size)}${files != null ? ` in ${files} files` : ''} in ${duration(r.seconds)} (${rate(r.bytesPerSecond)})`,
    r.fromLocalShare ? 'copied from this node\u2019s own share' : `from ${r.providers.length} peer${r.providers.length === 1 ? '' : 's'}`,
    r.resumedChunks ? `${r.resumedChunks} chunks resumed` : ''
  ]
  return html`<div class="result" data-testid="result">Saved to <code>${r.path}</code>: ${parts.filter(Boolean).join(' · ')}</div>`
}

const LABEL = { running: 'Downloading', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' }

export function DownloadsView ({ downloads, labels, onCancel, onGet }) {
  return html`
    <section aria-labelledby="downloads-h" class="downloads">
      <h2 id="downloads-h">Downloads</h2>
      ${downloads.length === 0 && html`<p class="muted">Nothing downloaded yet: press Get next to a file.</p>`}
      <ul class="cards" aria-label="Downloads">
        ${downloads.map(dl => ({ ...dl, name: labels[dl.target] ?? dl.name })).map(d => html`<li key=${d.id} class=${'download ' + d.state} data-state=${d.state} aria-label=${`${d.name}: ${LABEL[d.state] ?? d.state}`}>
          <div class="row">
            <strong class="name" title=${d.fileId ?? d.target}>${d.name}</strong>
            <span class="badge">${LABEL[d.state] ?? d.state}</span>
            <span class="spacer"></span>
            ${d.state === 'running'
              ? html`<button type="button" aria-label=${`Cancel ${d.name}`} onClick=${() => onCancel(d.id).catch(() => {})}>Cancel</button>`
              : d.state !== 'done' && html`<button type="button" aria-label=${`Resume ${d.name}`} onClick=${() => onGet(d.target, d.name).catch(() => {})}>Resume</button>`}
          </div>
          ${d.state !== 'done' && html`<${Progress} d=${d} />`}
          ${d.state === 'done' && html`<${Result} d=${d} />`}
          ${d.error && html`<p class="error">${d.error.message}</p>`}
          ${d.fileId && html`<p class="muted small">file id ${shortId(d.fileId)}</p>`}
        </li>`)}
      </ul>
    </section>`
}
