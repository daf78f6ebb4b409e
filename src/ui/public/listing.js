// The folder view of a flat file list (no imports: unit-tested under Node too).

/** Folders and files directly under `path` ('' or 'docs/'), from every file below it. */
export function entries (files, path) {
  const folders = new Map()
  const direct = []
  for (const f of files) {
    if (!f.name.startsWith(path)) continue
    const rest = f.name.slice(path.length)
    const slash = rest.indexOf('/')
    if (slash === -1) { direct.push(f); continue }
    const name = rest.slice(0, slash)
    const e = folders.get(name) ?? { name, files: 0, size: 0 }
    e.files++
    e.size += f.size
    folders.set(name, e)
  }
  return {
    folders: [...folders.values()].sort((a, b) => a.name.localeCompare(b.name)),
    files: direct.sort((a, b) => a.name.localeCompare(b.name))
  }
}
