import { closeSync, openSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { bloomAdd, bloomBytes } from "./audit-bloom.js";
import type { IndexedLine } from "./audit-line-parser.js";

/** Bumped when the layout changes; an index of another version is dropped and rebuilt from the files. */
const SCHEMA_VERSION = 1;

/**
 * The layout, chosen for size (the index must stay under half the JSONL) and for append-only writes:
 * - `rec` holds one row per line, keyed (seg, loc, ts, k) WITHOUT ROWID: a segment is a run of up to
 *   `segmentLines` lines of one file, written sorted, so each segment lands as a contiguous run of
 *   full pages at the end of the B-tree, and a one-location query does one seek per segment in range.
 * - Strings repeat a lot: locations and orgs are interned in `strs`, and (endpoint, method, status,
 *   caller, error_code) in `combos`, so a row is a few small integers, the ts, and the request id
 *   (16 bytes when it is a lowercase UUID, text otherwise).
 * - `extra` keeps what the integers cannot give back exactly (a ts not written by toISOString, a
 *   latency that is not a whole number of hundredths), so a record is rebuilt byte for byte.
 * - Request ids are found through a Bloom filter per segment (`segs.bloom`), not a second B-tree.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY, head TEXT NOT NULL UNIQUE, name TEXT NOT NULL, gz INTEGER NOT NULL,
  dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
  offset INTEGER NOT NULL, lines INTEGER NOT NULL, complete INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS segs (
  id INTEGER PRIMARY KEY, file INTEGER NOT NULL, rows INTEGER NOT NULL,
  min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, bloom BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS segs_file ON segs (file, id);
CREATE TABLE IF NOT EXISTS strs (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, s TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS combos (
  id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, method TEXT NOT NULL, status NOT NULL, caller TEXT, error_code TEXT);
CREATE TABLE IF NOT EXISTS rec (
  seg INTEGER NOT NULL, loc INTEGER NOT NULL, ts INTEGER NOT NULL, k INTEGER NOT NULL,
  org INTEGER NOT NULL, combo INTEGER NOT NULL, rid NOT NULL, lat INTEGER, extra TEXT,
  PRIMARY KEY (seg, loc, ts, k)) WITHOUT ROWID;
`;

const KIND_LOC = 0;
const KIND_ORG = 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A request id as stored: a lowercase UUID as its 16 bytes, anything else as text. @internal */
export function ridValue(rid: string): Buffer | string {
  return UUID.test(rid) ? Buffer.from(rid.replaceAll("-", ""), "hex") : rid;
}

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

/** The last segment of a file, while lines still go into it. */
interface OpenSegment {
  id: number;
  rows: number;
  minTs: number;
  maxTs: number;
  bloom: Uint8Array;
}

/** Endpoint, method, status, caller and error code of a line, interned together. @internal */
export interface Combo {
  endpoint: string;
  method: string;
  status: number;
  caller: string | null;
  error_code: string | null;
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

/**
 * The write side of the index: interning, segments, and one transaction per flushed batch that moves
 * a file's offset together with its rows, so a crash never indexes a line twice or skips one.
 * @internal
 */
export class AuditIndexStore {
  readonly db: Database.Database;
  readonly segmentLines: number;
  #strIds: Map<string, number>[] = [new Map(), new Map()];
  #strs = new Map<number, string>();
  #comboIds = new Map<string, number>();
  #combos = new Map<number, Combo>();
  #newStrs: [number, number, string][] = [];
  #newCombos: [number, Combo][] = [];
  #nextStr = 1;
  #nextCombo = 1;
  #open = new Map<number, OpenSegment>();
  #dataVersion = -1;
  readonly #stmt;

  constructor(db: Database.Database, segmentLines: number) {
    this.db = db;
    this.segmentLines = segmentLines;
    this.#stmt = {
      files: db.prepare<[], FileRow>("SELECT * FROM files ORDER BY id"),
      fileByHead: db.prepare<[string], FileRow>("SELECT * FROM files WHERE head = ?"),
      insertFile: db.prepare("INSERT INTO files (head, name, gz, dev, ino, size, mtime, offset, lines, complete) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0)"),
      seenFile: db.prepare("UPDATE files SET name = ?, gz = ?, dev = ?, ino = ? WHERE id = ?"),
      progress: db.prepare("UPDATE files SET offset = ?, lines = ?, size = ?, mtime = ?, complete = ? WHERE id = ?"),
      lastSeg: db.prepare<[number], { id: number; rows: number; min_ts: number; max_ts: number; bloom: Buffer }>(
        "SELECT id, rows, min_ts, max_ts, bloom FROM segs WHERE file = ? ORDER BY id DESC LIMIT 1",
      ),
      insertSeg: db.prepare("INSERT INTO segs (file, rows, min_ts, max_ts, bloom) VALUES (?, 0, 0, 0, x'')"),
      updateSeg: db.prepare("UPDATE segs SET rows = ?, min_ts = ?, max_ts = ?, bloom = ? WHERE id = ?"),
      insertStr: db.prepare("INSERT INTO strs (id, kind, s) VALUES (?, ?, ?)"),
      insertCombo: db.prepare("INSERT INTO combos (id, endpoint, method, status, caller, error_code) VALUES (?, ?, ?, ?, ?, ?)"),
      insertRec: db.prepare("INSERT INTO rec (seg, loc, ts, k, org, combo, rid, lat, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      segsOfFile: db.prepare<[number], { id: number }>("SELECT id FROM segs WHERE file = ?"),
      deleteRecs: db.prepare("DELETE FROM rec WHERE seg = ?"),
      deleteSegs: db.prepare("DELETE FROM segs WHERE file = ?"),
      deleteFile: db.prepare("DELETE FROM files WHERE id = ?"),
    };
    this.sync();
  }

  /** Reloads the interned strings and open segments when another connection changed the database. */
  sync(): void {
    const version = this.db.pragma("data_version", { simple: true }) as number;
    if (version === this.#dataVersion) return;
    this.#reload();
    this.#dataVersion = version;
  }

  #reload(): void {
    this.#strIds = [new Map(), new Map()];
    this.#strs.clear();
    this.#comboIds.clear();
    this.#combos.clear();
    this.#newStrs = [];
    this.#newCombos = [];
    this.#open.clear();
    let max = 0;
    for (const r of this.db.prepare<[], { id: number; kind: number; s: string }>("SELECT id, kind, s FROM strs").iterate()) {
      this.#strIds[r.kind]?.set(r.s, r.id);
      this.#strs.set(r.id, r.s);
      max = Math.max(max, r.id);
    }
    this.#nextStr = max + 1;
    max = 0;
    for (const r of this.db.prepare<[], Combo & { id: number }>("SELECT * FROM combos").iterate()) {
      const { id, ...combo } = r;
      this.#comboIds.set(comboKey(combo.endpoint, combo.method, combo.status, combo.caller, combo.error_code), id);
      this.#combos.set(id, combo);
      max = Math.max(max, id);
    }
    this.#nextCombo = max + 1;
  }

  str(id: number): string | undefined {
    return this.#strs.get(id);
  }

  combo(id: number): Combo | undefined {
    return this.#combos.get(id);
  }

  locId(uid: string): number | undefined {
    return this.#strIds[KIND_LOC]!.get(uid);
  }

  files(): FileRow[] {
    return this.#stmt.files.all();
  }

  fileByHead(head: string): FileRow | undefined {
    return this.#stmt.fileByHead.get(head);
  }

  addFile(head: string, name: string, gz: boolean, dev: number, ino: number): FileRow {
    this.#stmt.insertFile.run(head, name, gz ? 1 : 0, dev, ino, 0, 0);
    this.#dataVersion = this.db.pragma("data_version", { simple: true }) as number;
    return this.#stmt.fileByHead.get(head)!;
  }

  sawFile(row: FileRow, name: string, gz: boolean, dev: number, ino: number): void {
    if (row.name === name && row.gz === (gz ? 1 : 0) && row.dev === dev && row.ino === ino) return;
    this.#stmt.seenFile.run(name, gz ? 1 : 0, dev, ino, row.id);
    Object.assign(row, { name, gz: gz ? 1 : 0, dev, ino });
  }

  /** Rows a new batch for `fileId` may still put in the file's open segment (a full segment starts a new one). */
  room(fileId: number): number {
    const seg = this.#openSegment(fileId);
    return seg === undefined ? this.segmentLines : this.segmentLines - seg.rows;
  }

  #openSegment(fileId: number): OpenSegment | undefined {
    let seg = this.#open.get(fileId);
    if (seg === undefined) {
      const r = this.#stmt.lastSeg.get(fileId);
      if (r === undefined || r.rows >= this.segmentLines) return undefined;
      seg = { id: r.id, rows: r.rows, minTs: r.min_ts, maxTs: r.max_ts, bloom: new Uint8Array(r.bloom) };
      this.#open.set(fileId, seg);
    }
    return seg.rows < this.segmentLines ? seg : undefined;
  }

  #intern(kind: number, s: string): number {
    let id = this.#strIds[kind]!.get(s);
    if (id === undefined) {
      id = this.#nextStr++;
      this.#strIds[kind]!.set(s, id);
      this.#strs.set(id, s);
      this.#newStrs.push([id, kind, s]);
    }
    return id;
  }

  #internCombo(l: IndexedLine): number {
    const caller = l.caller ?? null;
    const err = l.err ?? null;
    const key = comboKey(l.endpoint, l.method, l.status, caller, err);
    let id = this.#comboIds.get(key);
    if (id === undefined) {
      id = this.#nextCombo++;
      const combo: Combo = { endpoint: l.endpoint, method: l.method, status: l.status, caller, error_code: err };
      this.#comboIds.set(key, id);
      this.#combos.set(id, combo);
      this.#newCombos.push([id, combo]);
    }
    return id;
  }

  /** Adds a parsed line to `batch`, interning its strings. */
  stage(batch: SegmentBatch, l: IndexedLine): void {
    const lat = Math.round(l.lat * 100);
    const exactLat = lat / 100 === l.lat && Number.isSafeInteger(lat);
    batch.loc.push(this.#intern(KIND_LOC, l.loc));
    batch.org.push(this.#intern(KIND_ORG, l.org));
    batch.combo.push(this.#internCombo(l));
    batch.ts.push(l.ts);
    batch.rid.push(l.rid);
    batch.lat.push(exactLat ? lat : null);
    batch.extra.push(l.tsText === undefined && exactLat ? null : JSON.stringify({ ts: l.tsText, lat: exactLat ? undefined : l.lat }));
  }

  /**
   * Writes the batch (all lines of one file, fewer than room() allows) and the file's new progress in
   * one transaction. On failure nothing is written and the in-memory state is reloaded.
   */
  flush(file: FileRow, batch: SegmentBatch, progress: { offset: number; lines: number; size: number; mtime: number; complete: boolean }): void {
    const s = this.#stmt;
    try {
      this.db.transaction(() => {
        for (const [id, kind, str] of this.#newStrs) s.insertStr.run(id, kind, str);
        for (const [id, c] of this.#newCombos) s.insertCombo.run(id, c.endpoint, c.method, c.status, c.caller, c.error_code);
        const n = batch.loc.length;
        if (n > 0) {
          let seg = this.#openSegment(file.id);
          if (seg === undefined) {
            const id = Number(s.insertSeg.run(file.id).lastInsertRowid);
            seg = { id, rows: 0, minTs: Number.POSITIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, bloom: new Uint8Array(bloomBytes(this.segmentLines)) };
            this.#open.set(file.id, seg);
          }
          const base = seg.rows;
          for (const i of orderByLocation(batch.loc)) {
            const ts = batch.ts[i]!;
            const rid = batch.rid[i]!;
            s.insertRec.run(seg.id, batch.loc[i], ts, base + i, batch.org[i], batch.combo[i], ridValue(rid), batch.lat[i], batch.extra[i]);
            if (ts < seg.minTs) seg.minTs = ts;
            if (ts > seg.maxTs) seg.maxTs = ts;
            bloomAdd(seg.bloom, rid);
          }
          seg.rows += n;
          s.updateSeg.run(seg.rows, seg.minTs, seg.maxTs, seg.bloom, seg.id);
        }
        s.progress.run(progress.offset, progress.lines, progress.size, progress.mtime, progress.complete ? 1 : 0, file.id);
      })();
    } catch (err) {
      this.#reload();
      throw err;
    }
    this.#newStrs = [];
    this.#newCombos = [];
    Object.assign(file, { offset: progress.offset, lines: progress.lines, size: progress.size, mtime: progress.mtime, complete: progress.complete ? 1 : 0 });
    this.#dataVersion = this.db.pragma("data_version", { simple: true }) as number;
  }

  /** Removes a file's rows, segments and progress (the file is gone, or retention removes it). */
  dropFile(fileId: number): void {
    const s = this.#stmt;
    this.db.transaction(() => {
      for (const { id } of s.segsOfFile.all(fileId)) s.deleteRecs.run(id);
      s.deleteSegs.run(fileId);
      s.deleteFile.run(fileId);
    })();
    this.#open.delete(fileId);
  }
}

/** Lines of one file waiting to be flushed into its open segment, column by column. @internal */
export class SegmentBatch {
  loc: number[] = [];
  org: number[] = [];
  combo: number[] = [];
  ts: number[] = [];
  rid: string[] = [];
  lat: (number | null)[] = [];
  extra: (string | null)[] = [];

  get size(): number {
    return this.loc.length;
  }

  clear(): void {
    this.loc = [];
    this.org = [];
    this.combo = [];
    this.ts = [];
    this.rid = [];
    this.lat = [];
    this.extra = [];
  }
}

function comboKey(endpoint: string, method: string, status: number, caller: string | null, err: string | null): string {
  return `${endpoint}\u0000${method}\u0000${status}\u0000${caller ?? "\u0001"}\u0000${err ?? "\u0001"}`;
}

/** Batch positions ordered by location id, in line order within one (a counting sort): the key order, nearly. */
function orderByLocation(loc: number[]): Int32Array {
  let max = 0;
  for (const l of loc) if (l > max) max = l;
  const start = new Int32Array(max + 2);
  for (const l of loc) start[l + 1]!++;
  for (let i = 1; i < start.length; i++) start[i]! += start[i - 1]!;
  const order = new Int32Array(loc.length);
  for (let i = 0; i < loc.length; i++) order[start[loc[i]!]!++] = i;
  return order;
}
