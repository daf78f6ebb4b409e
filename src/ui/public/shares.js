// What this node shares: the share folder, folders and files added by path, and seeds
// (finished downloads kept available). Add one by its path on this machine, remove one.
import { useState } from './vendor/hooks.js'
import { html } from './html.js'
import { api } from './api.js'
import { bytes } from './format.js'

const KIND = { folder: 'folder', file: 'file', seed: 'seed (downloaded)' }

/** The share folder (first, no name of its own) is the node's; the others can be removed. */
const isShareFolder = (s, i) => i === 0 && s.name == null && s.kind === 'folder'

export function SharesView ({ shares, share, guard, onChange }) {
  const [path, setPath] = useState('')
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState()

  const run = async (fn, done) => {
    setBusy(true)
    try {
      const r = await guard(fn)
      setNote(done(r))
      onChange()
      return r
    } catch {
      setNote(undefined)
    } finally {
      setBusy(false)
    }
  }

  const add = async e => {
    e.preventDefault()
    const p = path.trim()
    if (p === '') return
    const r = await run(() => api.share(p), r => `Shared ${r.path}: ${r.files} file${r.files === 1 ? '' : 's'}`)
    if (r != null) setPath('')
  }

  return html`
    <section aria-labelledby="shares-h" class="shares">
      <h2 id="shares-h">Shared by this node</h2>
      ${share && html`<p data-testid="indexed">${`Indexed: ${share.files} file${share.files === 1 ? '' : 's'}, ${bytes(share.bytes)}${share.hashing > 0 ? ` · hashing ${share.hashing}` : ''}${share.watching ? ` · watching: ${share.watching}` : ''}`}</p>`}
      ${share?.lastError && html`<p class="error">${share.lastError}</p>`}
      <form class="row" onSubmit=${add}>
        <label for="share-path">Folder or file path</label>
        <input id="share-path" type="text" placeholder="/home/me/Music" autocomplete="off" required
          value=${path} onInput=${e => setPath(e.currentTarget.value)} />
        <button type="submit" disabled=${busy}>Share</button>
      </form>
      ${note && html`<p class="note" role="status">${note}</p>`}
      <ul class="plain" aria-label="Shares">
        ${shares.map((s, i) => html`<li key=${s.path} class="row">
          <code class="path">${s.path}</code>
          <span class="badge">${isShareFolder(s, i) ? 'share folder' : KIND[s.kind] ?? s.kind}</span>
          ${s.name != null && s.name !== s.path.split(/[\\/]/).pop() && html`<span class="muted">shared as ${s.name}</span>`}
          <span class="spacer"></span>
          ${!isShareFolder(s, i) && html`<button type="button" disabled=${busy} aria-label=${`Remove share ${s.path}`}
            onClick=${() => run(() => api.unshare(s.path), r => `Removed ${r.path}`)}>Remove</button>`}
        </li>`)}
      </ul>
    </section>`
}
