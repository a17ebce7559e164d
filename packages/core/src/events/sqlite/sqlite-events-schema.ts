import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { EventStoreUnavailableError } from "@podium-router/errors";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  location_uid TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  subscription_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (location_uid, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (location_uid, event_id);
CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
CREATE TABLE IF NOT EXISTS heads (
  location_uid TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  pruned_through INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS forwarders (
  location_uid TEXT PRIMARY KEY,
  delivered_seq INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  dead_letters INTEGER NOT NULL DEFAULT 0,
  last_dead_seq INTEGER,
  lease_owner TEXT,
  lease_expires_at INTEGER
) WITHOUT ROWID;
`;

/**
 * Opens (creating, 0600, in a 0700 directory) the event log's database at the resolved `path`: WAL with
 * `synchronous = FULL`, tables created if absent. Throws EventStoreUnavailableError naming the file when it cannot.
 * @internal
 */
export function openSqliteEventsDatabase(path: string): Database.Database {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
    const db = new Database(path, { timeout: 5000 });
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} is newer than this build reads (${SCHEMA_VERSION})`);
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    return db;
  } catch (err) {
    throw new EventStoreUnavailableError({ cause: err }, `cannot open the event log ${path} (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
}
