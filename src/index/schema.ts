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
export const SCHEMA_VERSION = 3

// unicode61 already splits on punctuation; the separators make the contract explicit.
// remove_diacritics 2: "cafe" finds "Café".
export const FTS_TOKENIZE = "unicode61 remove_diacritics 2 separators '/._-'"

// Every word of a search is a prefix. A prefix of a length listed here is read from its own
// index, as far as the page needs; any other merges the doclists of every word it starts, in
// full: two common words (each in 10% of 100,000 names) 0.8 ms with '2 3', 0.3 ms with these,
// for an index 8% larger and built 45% slower (measured, schema 3).
const FTS_PREFIXES = '2 3 4 5 6 7 8'

const NAMES_TABLE = `CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5 (
  name, content = 'files', content_rowid = 'id', tokenize = "${FTS_TOKENIZE}", prefix = '${FTS_PREFIXES}'
)`

/** What an older schema needs, by its version, to become this one (in one transaction). */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  // 2 -> 3: the word index with more prefix lengths, rebuilt from the rows (~3 s per 100,000)
  2: `DROP TABLE names; ${NAMES_TABLE}; INSERT INTO names (names) VALUES ('rebuild')`
}

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
${NAMES_TABLE};
`
