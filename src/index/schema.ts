/**
 * The coordinator's SQLite schema. `files.id` is an INTEGER PRIMARY KEY (a rowid alias that
 * VACUUM never renumbers) so the external-content FTS table can point at it; (peer_id, name) is
 * the entry's key.
 *
 * Snapshots work by generation: a snapshot bumps `providers.gen`, so every older row of that
 * peer is hidden at once; rows announced again are only re-stamped (no word-index work), and
 * the rows left stale are deleted later, in small chunks, by the sweeper. `entries` counts the
 * current rows (the quota), `rows` all of them, so `rows - entries` is the stale backlog.
 *
 * The store writes `names` itself instead of through triggers: FTS5 flushes its pending terms at
 * every savepoint, and a trigger opens one per row, which made inserts 5-7x slower (measured:
 * 100k rows 1.3-1.9 s with triggers, 0.28 s direct).
 */
export const SCHEMA_VERSION = 2

// unicode61 already splits on punctuation; the separators make the contract explicit.
// remove_diacritics 2: "cafe" finds "Café". prefix='2 3': short prefix queries use an index.
export const FTS_TOKENIZE = "unicode61 remove_diacritics 2 separators '/._-'"

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS providers (
  peer_id TEXT PRIMARY KEY,
  addrs TEXT NOT NULL DEFAULT '[]',
  online INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL,
  disconnected_at INTEGER,
  gen INTEGER NOT NULL DEFAULT 1,
  snapshot_at INTEGER NOT NULL DEFAULT 0,
  entries INTEGER NOT NULL DEFAULT 0,
  rows INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  peer_id TEXT NOT NULL,
  name TEXT NOT NULL,
  file_id BLOB NOT NULL,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  gen INTEGER NOT NULL,
  UNIQUE (peer_id, name)
);
CREATE INDEX IF NOT EXISTS files_by_name ON files (name, peer_id);
CREATE INDEX IF NOT EXISTS files_by_file_id ON files (file_id);
CREATE INDEX IF NOT EXISTS files_by_gen ON files (peer_id, gen);
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5 (
  name, content = 'files', content_rowid = 'id', tokenize = "${FTS_TOKENIZE}", prefix = '2 3'
);
`
