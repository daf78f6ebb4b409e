/** The statements of the IndexStore, by name. */

// an entry is shown when it belongs to its provider's current snapshot and the provider is
// online or within the grace
const VISIBLE = 'f.gen = p.gen AND (p.online = 1 OR p.disconnected_at >= :cutoff)'
// the order is the store's EntryRow: list and search rows come back as arrays
const ENTRY_COLS = 'f.id, f.name, f.file_id, f.size, f.mtime, f.peer_id'
const LOOKUP_COLS = 'f.file_id, f.name, f.size, p.peer_id, p.addrs, p.online'
const JOIN = 'files f JOIN providers p ON p.peer_id = f.peer_id'

export const SQL = {
  touch: `INSERT INTO providers (peer_id, addrs, online, last_seen, snapshot_at) VALUES (:peer, coalesce(:addrs, '[]'), 1, :now, :now)
    ON CONFLICT (peer_id) DO UPDATE SET online = 1, last_seen = :now, disconnected_at = NULL, expired = 0,
    addrs = coalesce(:addrs, addrs)
    RETURNING gen`,
  bump: 'UPDATE providers SET gen = gen + 1, entries = 0, snapshot_at = :now WHERE peer_id = :peer RETURNING gen',
  counts: 'UPDATE providers SET entries = entries + :entries, rows = rows + :rows WHERE peer_id = :peer RETURNING entries, rows',
  insert: `INSERT INTO files (peer_id, name, file_id, size, mtime, gen) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (peer_id, name) DO NOTHING`,
  // a row of an earlier snapshot announced again: re-stamped, its words stay indexed
  revive: 'UPDATE files SET file_id = ?, size = ?, mtime = ?, gen = ? WHERE peer_id = ? AND name = ? AND gen <> ?',
  update: 'UPDATE files SET file_id = ?, size = ?, mtime = ? WHERE peer_id = ? AND name = ?',
  find: 'SELECT id, gen FROM files WHERE peer_id = ? AND name = ?',
  deleteId: 'DELETE FROM files WHERE id = ?',
  ftsInsert: 'INSERT INTO names (rowid, name) VALUES (?, ?)',
  ftsDelete: 'INSERT INTO names (names, rowid, name) VALUES (\'delete\', ?, ?)',
  stale: 'SELECT id, name FROM files WHERE peer_id = ? AND gen < ? LIMIT ?',
  // a drained backlog resets the counters from the rows themselves, so they can never drift
  recount: `UPDATE providers SET rows = (SELECT count(*) FROM files WHERE peer_id = :peer),
    entries = (SELECT count(*) FROM files WHERE peer_id = :peer AND gen = providers.gen) WHERE peer_id = :peer`,
  backlog: 'SELECT peer_id, gen FROM providers WHERE rows > entries AND snapshot_at < ? LIMIT 16',
  dropExpired: 'DELETE FROM providers WHERE expired = 1 AND rows = 0',
  count: 'SELECT entries FROM providers WHERE peer_id = ? AND expired = 0',
  list: `SELECT ${ENTRY_COLS} FROM ${JOIN} WHERE (f.name, f.peer_id) > (:name, :peer) AND ${VISIBLE}
    ORDER BY f.name, f.peer_id LIMIT :limit`,
  // a separate statement so the prefix's upper bound is an index range, not a filter
  listPrefix: `SELECT ${ENTRY_COLS} FROM ${JOIN} WHERE (f.name, f.peer_id) > (:name, :peer) AND f.name < :upper AND ${VISIBLE}
    ORDER BY f.name, f.peer_id LIMIT :limit`,
  search: `SELECT ${ENTRY_COLS} FROM names n JOIN files f ON f.id = n.rowid JOIN providers p ON p.peer_id = f.peer_id
    WHERE names MATCH :match AND n.rowid > :after AND ${VISIBLE} ORDER BY n.rowid LIMIT :limit`,
  byName: `SELECT ${LOOKUP_COLS} FROM ${JOIN} WHERE f.name = :key AND ${VISIBLE}
    ORDER BY p.online DESC, p.last_seen DESC LIMIT :limit`,
  byFileId: `SELECT ${LOOKUP_COLS} FROM ${JOIN} WHERE f.file_id = :key AND ${VISIBLE}
    ORDER BY p.online DESC, p.last_seen DESC, f.name LIMIT :limit`,
  provider: 'SELECT peer_id, addrs, online FROM providers WHERE peer_id = ? AND expired = 0',
  // the providers of one page at once (a JSON array of peer ids)
  providersOf: 'SELECT peer_id, addrs, online FROM providers WHERE peer_id IN (SELECT value FROM json_each(?)) AND expired = 0',
  online: 'UPDATE providers SET online = 1, last_seen = :now, disconnected_at = NULL WHERE peer_id = :peer',
  offline: 'UPDATE providers SET online = 0, disconnected_at = :now WHERE peer_id = :peer AND online = 1',
  allOffline: 'UPDATE providers SET online = 0, disconnected_at = ?',
  onlinePeers: 'SELECT peer_id FROM providers WHERE online = 1',
  // past the grace: every row goes stale at once (hidden even if the peer comes back before
  // they are collected), and the provider row goes once they are
  expire: `UPDATE providers SET gen = gen + 1, entries = 0, snapshot_at = 0, expired = 1
    WHERE online = 0 AND expired = 0 AND disconnected_at < ? RETURNING peer_id`,
  expiring: 'SELECT coalesce(sum(entries), 0) AS entries FROM providers WHERE online = 0 AND expired = 0 AND disconnected_at < ?',
  stats: `SELECT coalesce(sum(expired = 0), 0) AS providers, coalesce(sum(online = 1 AND expired = 0), 0) AS online,
    coalesce(sum(entries), 0) AS entries, coalesce(sum(rows - entries), 0) AS stale FROM providers`
} as const
