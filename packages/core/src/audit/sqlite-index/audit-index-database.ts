import { closeSync, openSync, rmSync } from "node:fs";
import Database from "better-sqlite3";

/** Bumped when the layout changes; an index of another version is dropped and rebuilt from the files. */
const SCHEMA_VERSION = 4;

/**
 * The layout, chosen for build speed (inserts are what an index build spends its time on), for size
 * (the index must stay under half the JSONL) and for append-only writes:
 * - A segment is a run of up to `segmentLines` lines of one file. `runs` holds, per segment and
 *   location, that location's records packed into one blob (see audit-run.ts), keyed (seg, loc, k0)
 *   WITHOUT ROWID with the run's time range: one row per location and segment instead of one per
 *   line, written in key order, so a segment lands as contiguous full pages at the end of the B-tree
 *   and a one-location query reads one row per segment in its time range.
 * - Strings repeat a lot: locations and orgs are interned in `strs`, and (endpoint, method, status,
 *   caller, error_code, phase) in `combos`, so a record is its ts, a few small integers and the request id
 *   (16 bytes when it is a lowercase UUID, text otherwise).
 * - What the integers cannot give back exactly (a ts not written by toISOString, a latency that is not
 *   a whole number of hundredths) travels with the record, so a record is rebuilt byte for byte.
 * - Request ids are found through a Bloom filter per segment (`segs.bloom`), not a second B-tree.
 *   The filter of a segment still filling is kept in memory and written now and then (`bloom_rows`
 *   says how many rows the stored one covers), not on every small refresh: 40 KiB per query would
 *   be most of what a refresh writes.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY, head TEXT NOT NULL UNIQUE, name TEXT NOT NULL, gz INTEGER NOT NULL,
  dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
  offset INTEGER NOT NULL, lines INTEGER NOT NULL, complete INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS segs (
  id INTEGER PRIMARY KEY, file INTEGER NOT NULL, rows INTEGER NOT NULL,
  min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, bloom BLOB NOT NULL, bloom_rows INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS segs_file ON segs (file, id);
CREATE TABLE IF NOT EXISTS strs (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, s TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS combos (
  id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, method TEXT NOT NULL, status NOT NULL, caller TEXT, error_code TEXT, phase TEXT);
CREATE TABLE IF NOT EXISTS runs (
  seg INTEGER NOT NULL, loc INTEGER NOT NULL, k0 INTEGER NOT NULL,
  min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (seg, loc, k0)) WITHOUT ROWID;
`;

/** One row of `files`: how far one audit file (known by the hash of its first line) is indexed. @internal */
export interface FileRow {
  id: number;
  head: string;
  name: string;
  gz: number;
  dev: number;
  ino: number;
  size: number;
  mtime: number;
  offset: number;
  lines: number;
  complete: number;
}

/** Opens (creating, 0600) the index database; a file of another schema version or not a database is replaced. */
export function openIndexDatabase(path: string): Database.Database {
  for (let attempt = 0; ; attempt++) {
    // Created 0600 before SQLite sees it: the index holds the audit records; SQLite gives -wal/-shm the same mode.
    closeSync(openSync(path, "a", 0o600));
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 5000 });
      db.pragma("journal_mode = WAL");
      const version = db.pragma("user_version", { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
      if (version !== SCHEMA_VERSION && tables.n > 0) throw Object.assign(new Error("index schema changed"), { code: "SCHEMA" });
      db.pragma("synchronous = NORMAL");
      // Checkpoints are the slow part of a commit; the index runs them when idle, this is the backstop.
      db.pragma("wal_autocheckpoint = 16384");
      db.pragma("cache_size = -65536");
      db.pragma("temp_store = MEMORY");
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return db;
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code;
      if (attempt > 0 || (code !== "SCHEMA" && code !== "SQLITE_NOTADB" && code !== "SQLITE_CORRUPT")) throw err;
      // The index is a cache of the JSONL files: drop it and build it again.
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
    }
  }
}
