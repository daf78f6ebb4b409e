// The network's files: a folder view built from the flat names (`docs/a.txt`), and search as
// you type. "Get" starts a download of a file (by its id) or of a whole folder (`docs/`).
import { useEffect, useRef, useState } from './vendor/hooks.js'
import { html } from './html.js'
import { api } from './api.js'
import { bytes } from './format.js'
import { entries } from './listing.js'

/** Wait this long after the last key before searching. */
const SEARCH_DELAY_MS = 250

function online (f) {
  return f.providers.filter(p => p.online).length
}

export function FilesView ({ guard, onGet }) {
  const [path, setPath] = useState('')
  const [query, setQuery] = useState('')
  const [list, setList] = useState()
  const [busy, setBusy] = useState(false)
  const seq = useRef(0)

  const load = async () => {
    const n = ++seq.current
    setBusy(true)
    try {
      const q = query.trim()
      const r = await guard(() => q === '' ? api.files(path) : api.search(q))
      // an older answer arriving after a newer one must not replace it
      if (n === seq.current) setList(r)
    } catch {
      if (n === seq.current) setList([])
    } finally {
      if (n === seq.current) setBusy(false)
    }
  }

  useEffect(() => {
    const t = setTimeout(() => { load() }, query === '' ? 0 : SEARCH_DELAY_MS)
    return () => clearTimeout(t)
  }, [path, query])

  const searching = query.trim() !== ''
  const view = list == null ? undefined : searching ? { folders: [], files: list } : entries(list, path)
  const parts = path === '' ? [] : path.slice(0, -1).split('/')

  return html`
    <section aria-labelledby="files-h" class="files">
      <h2 id="files-h">Network files</h2>
      <form class="row" role="search" onSubmit=${e => { e.preventDefault(); load() }}>
        <label for="search">Search</label>
        <input id="search" type="search" placeholder="name contains…" autocomplete="off"
          value=${query} onInput=${e => setQuery(e.currentTarget.value)} />
        <button type="submit">Search</button>
        <button type="button" onClick=${() => load()}>Refresh</button>
      </form>
      ${!searching && html`<nav aria-label="Folder" class="crumbs">
        <button type="button" class="link" onClick=${() => setPath('')} aria-current=${path === '' ? 'page' : undefined}>All files</button>
        ${parts.map((p, i) => html`<span aria-hidden="true">/</span><button type="button" class="link"
          onClick=${() => setPath(parts.slice(0, i + 1).join('/') + '/')}
          aria-current=${i === parts.length - 1 ? 'page' : undefined}>${p}</button>`)}
      </nav>`}
      <p class="muted" aria-live="polite">${busy
? 'Loading…'
: view == null
? ''
: searching
        ? `${view.files.length} match${view.files.length === 1 ? '' : 'es'} for “${query.trim()}”`
        : `${view.folders.length} folder${view.folders.length === 1 ? '' : 's'}, ${view.files.length} file${view.files.length === 1 ? '' : 's'}`}</p>
      ${view != null && html`<table class="list" aria-label="Files">
        <thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Peers</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${view.folders.map(f => html`<tr key=${'d:' + f.name} class="folder">
            <td><button type="button" class="link" aria-label=${`Open folder ${f.name}`} onClick=${() => setPath(path + f.name + '/')}>${f.name}/</button></td>
            <td>${bytes(f.size)} <span class="muted">(${f.files} file${f.files === 1 ? '' : 's'})</span></td>
            <td></td>
            <td class="actions"><button type="button" aria-label=${`Get folder ${f.name}`} onClick=${() => onGet(path + f.name + '/', path + f.name + '/').catch(() => {})}>Get folder</button></td>
          </tr>`)}
          ${view.files.map(f => html`<tr key=${f.fileId}>
            <td title=${f.fileId}>${searching ? f.name : f.name.slice(path.length)}</td>
            <td>${bytes(f.size)}</td>
            <td>${online(f)} of ${f.providers.length}</td>
            <td class="actions"><button type="button" aria-label=${`Get ${f.name}`} onClick=${() => onGet(f.fileId, f.name).catch(() => {})}>Get</button></td>
          </tr>`)}
          ${view.folders.length + view.files.length === 0 && html`<tr><td colspan="4" class="muted">${searching ? 'No file matches.' : 'No files here yet.'}</td></tr>`}
        </tbody>
      </table>`}
    </section>`
}
