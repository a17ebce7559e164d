import { closeSync, openSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { bloomAdd, bloomBytes, textHashA, textHashB, uuidHashA, uuidHashB } from "./audit-bloom.js";
import { AuditDictionary, type Combo } from "./audit-dictionary.js";
import { F, type LineFields } from "./audit-line-parser.js";
import { encodeRun } from "./audit-run.js";

/** Bumped when the layout changes; an index of another version is dropped and rebuilt from the files. */
const SCHEMA_VERSION = 2;

/**
 * The layout, chosen for build speed (inserts are what an index build spends its time on), for size
 * (the index must stay under half the JSONL) and for append-only writes:
 * - A segment is a run of up to `segmentLines` lines of one file. `runs` holds, per segment and
 *   location, that location's records packed into one blob (see audit-run.ts), keyed (seg, loc, k0)
 *   WITHOUT ROWID with the run's time range: one row per location and segment instead of one per
 *   line, written in key order, so a segment lands as contiguous full pages at the end of the B-tree
 *   and a one-location query reads one row per segment in its time range.
 * - Strings repeat a lot: locations and orgs are interned in `strs`, and (endpoint, method, status,
 *   caller, error_code) in `combos`, so a record is its ts, a few small integers and the request id
 *   (16 bytes when it is a lowercase UUID, text otherwise).
 * - What the integers cannot give back exactly (a ts not written by toISOString, a latency that is not
 *   a whole number of hundredths) travels with the record, so a record is rebuilt byte for byte.
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
CREATE TABLE IF NOT EXISTS runs (
  seg INTEGER NOT NULL, loc INTEGER NOT NULL, k0 INTEGER NOT NULL,
  min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (seg, loc, k0)) WITHOUT ROWID;
`;


/** Whether `s[start, end)` is a lowercase UUID, the form stored as 16 bytes. */
function isUuidAt(s: string, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) {
      return false;
    }
  }
  return true;
}

const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57);

/** Writes the 16 bytes of the UUID at `s[start]` to `out[offset]`. */
function uuidBytes(s: string, start: number, out: Uint8Array, offset: number): void {
  let o = offset;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    out[o++] = (hexValue(s.charCodeAt(start + i)) << 4) | hexValue(s.charCodeAt(start + i + 1));
  }
}

/** A request id as stored (a lowercase UUID as its 16 bytes, anything else as text) and its two filter hashes. @internal */
export function ridKey(rid: string): { value: Buffer | string; a: number; b: number } {
  if (!isUuidAt(rid, 0, rid.length)) return { value: rid, a: textHashA(rid), b: textHashB(rid) };
  const value = Buffer.allocUnsafe(16);
  uuidBytes(rid, 0, value, 0);
  return { value, a: uuidHashA(value, 0), b: uuidHashB(value, 0) };
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

export type { Combo } from "./audit-dictionary.js";

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
  #dict = new AuditDictionary();
  /** The `files` table, read once and kept in step. */
  #files: Map<number, FileRow> | undefined;
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
      insertRun: db.prepare("INSERT INTO runs (seg, loc, k0, min_ts, max_ts, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      segsOfFile: db.prepare<[number], { id: number }>("SELECT id FROM segs WHERE file = ?"),
      deleteRuns: db.prepare("DELETE FROM runs WHERE seg = ?"),
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
    this.#dict = new AuditDictionary();
    this.#dict.load(
      this.db.prepare<[], { id: number; kind: number; s: string }>("SELECT id, kind, s FROM strs").iterate(),
      this.db.prepare<[], Combo & { id: number }>("SELECT id, endpoint, method, status, caller, error_code FROM combos").iterate(),
    );
    this.#open.clear();
    this.#files = undefined;
  }

  str(id: number): string | undefined {
    return this.#dict.strs.get(id);
  }

  combo(id: number): Combo | undefined {
    return this.#dict.combos.get(id);
  }

  locId(uid: string): number | undefined {
    return this.#dict.locId(uid);
  }

  files(): FileRow[] {
    this.#files ??= new Map(this.#stmt.files.all().map((r) => [r.id, r]));
    return [...this.#files.values()];
  }

  fileByHead(head: string): FileRow | undefined {
    return this.#stmt.fileByHead.get(head);
  }

  addFile(head: string, name: string, gz: boolean, dev: number, ino: number): FileRow {
    this.#stmt.insertFile.run(head, name, gz ? 1 : 0, dev, ino, 0, 0);
    const row = this.#stmt.fileByHead.get(head)!;
    this.#files?.set(row.id, row);
    return row;
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

  /** Adds a scanned line to `batch`, interning its strings. */
  stage(batch: SegmentBatch, f: LineFields): void {
    const i = batch.size++;
    const { src, at } = f;
    const dict = this.#dict;
    batch.loc[i] = dict.loc(f);
    batch.org[i] = dict.org;
    batch.combo[i] = dict.combo(f);
    batch.ts[i] = f.ts;
    // Hundredths that fit an i32 (a run stores 4 bytes); anything else goes to `extra`.
    const lat = f.latCenti >= -0x7fffffff && f.latCenti <= 0x7fffffff ? f.latCenti : Number.NaN;
    batch.lat[i] = lat;
    const rs = at[F.RidStart]!;
    const re = at[F.RidStart + 1]!;
    if (isUuidAt(src, rs, re)) {
      uuidBytes(src, rs, batch.rid, i * 16);
      batch.ridA[i] = uuidHashA(batch.rid, i * 16);
      batch.ridB[i] = uuidHashB(batch.rid, i * 16);
    } else {
      const rid = src.slice(rs, re);
      batch.ridText.set(i, rid);
      batch.ridA[i] = textHashA(rid);
      batch.ridB[i] = textHashB(rid);
    }
    if (!f.tsCanonical || Number.isNaN(lat)) {
      const ts = f.tsCanonical ? undefined : src.slice(at[F.TsStart], at[F.TsStart + 1]);
      batch.extra.set(i, JSON.stringify({ ts, lat: Number.isNaN(lat) ? f.lat : undefined }));
    }
  }

  /**
   * Writes the batch (lines of one file, no more than room() allows) and the file's new progress in
   * one transaction. On failure nothing is written and the in-memory state is reloaded.
   */
  flush(file: FileRow, batch: SegmentBatch, progress: { offset: number; lines: number; size: number; mtime: number; complete: boolean }): void {
    const s = this.#stmt;
    try {
      this.db.transaction(() => {
        const made = this.#dict.drain();
        for (const [id, kind, str] of made.strs) s.insertStr.run(id, kind, str);
        for (const [id, c] of made.combos) s.insertCombo.run(id, c.endpoint, c.method, c.status, c.caller, c.error_code);
        const n = batch.size;
        if (n > 0) {
          let seg = this.#openSegment(file.id);
          if (seg === undefined) {
            const id = Number(s.insertSeg.run(file.id).lastInsertRowid);
            seg = { id, rows: 0, minTs: Number.POSITIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, bloom: new Uint8Array(bloomBytes(this.segmentLines)) };
            this.#open.set(file.id, seg);
          }
          const base = seg.rows;
          const order = orderByLocation(batch.loc, n);
          for (let j = 0; j < n; ) {
            const loc = batch.loc[order[j]!]!;
            let end = j;
            let minTs = Number.POSITIVE_INFINITY;
            let maxTs = Number.NEGATIVE_INFINITY;
            for (; end < n && batch.loc[order[end]!] === loc; end++) {
              const i = order[end]!;
              const ts = batch.ts[i]!;
              if (ts < minTs) minTs = ts;
              if (ts > maxTs) maxTs = ts;
              bloomAdd(seg.bloom, batch.ridA[i]!, batch.ridB[i]!);
            }
            s.insertRun.run(seg.id, loc, base + order[j]!, minTs, maxTs, end - j, encodeRun(batch, order, j, end, base));
            if (minTs < seg.minTs) seg.minTs = minTs;
            if (maxTs > seg.maxTs) seg.maxTs = maxTs;
            j = end;
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
    Object.assign(file, { offset: progress.offset, lines: progress.lines, size: progress.size, mtime: progress.mtime, complete: progress.complete ? 1 : 0 });
  }

  /** Removes a file's rows, segments and progress (the file is gone, or retention removes it). */
  dropFile(fileId: number): void {
    const s = this.#stmt;
    this.db.transaction(() => {
      for (const { id } of s.segsOfFile.all(fileId)) s.deleteRuns.run(id);
      s.deleteSegs.run(fileId);
      s.deleteFile.run(fileId);
    })();
    this.#open.delete(fileId);
    this.#files?.delete(fileId);
  }
}

/** Lines of one file waiting to be flushed into its open segment, column by column. @internal */
export class SegmentBatch {
  size = 0;
  readonly loc: Int32Array;
  readonly org: Int32Array;
  readonly combo: Int32Array;
  readonly ts: Float64Array;
  /** Latency in hundredths, NaN when that is not exact (then it is in `extra`). */
  readonly lat: Float64Array;
  /** Request ids that are UUIDs, 16 bytes each; the others are in `ridText`. */
  readonly rid: Uint8Array;
  readonly ridA: Int32Array;
  readonly ridB: Int32Array;
  ridText = new Map<number, string>();
  /** What the integer columns cannot give back exactly, as JSON, by row. */
  extra = new Map<number, string>();

  constructor(capacity: number) {
    this.loc = new Int32Array(capacity);
    this.org = new Int32Array(capacity);
    this.combo = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.rid = new Uint8Array(capacity * 16);
    this.ridA = new Int32Array(capacity);
    this.ridB = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
    if (this.ridText.size > 0) this.ridText = new Map();
    if (this.extra.size > 0) this.extra = new Map();
  }
}

/** Batch positions ordered by location id, in line order within one (a counting sort): the key order, nearly. */
function orderByLocation(loc: Int32Array, n: number): Int32Array {
  let max = 0;
  for (let i = 0; i < n; i++) if (loc[i]! > max) max = loc[i]!;
  const start = new Int32Array(max + 2);
  for (let i = 0; i < n; i++) start[loc[i]! + 1]!++;
  for (let i = 1; i < start.length; i++) start[i]! += start[i - 1]!;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[loc[i]!]!++] = i;
  return order;
}
