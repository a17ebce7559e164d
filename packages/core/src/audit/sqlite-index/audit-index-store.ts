import type Database from "better-sqlite3";
import { bloomAdd, bloomBytes, textHashA, textHashB, uuidHashA, uuidHashB } from "./audit-bloom.js";
import { decodeRun } from "./audit-run.js";
import { AuditDictionary, type Combo } from "./audit-dictionary.js";
import type { Made } from "./audit-file-pass.js";
import { isUuidAt, uuidBytes, type EncodedBatch } from "./audit-index-batch.js";
import type { FileRow } from "./audit-index-database.js";

/** A request id as stored (a lowercase UUID as its 16 bytes, anything else as text) and its two filter hashes. @internal */
export function ridKey(rid: string): { value: Buffer | string; a: number; b: number } {
  if (!isUuidAt(rid, 0, rid.length)) return { value: rid, a: textHashA(rid), b: textHashB(rid) };
  const value = Buffer.allocUnsafe(16);
  uuidBytes(rid, 0, value, 0);
  return { value, a: uuidHashA(value, 0), b: uuidHashB(value, 0) };
}

/** The last segment of a file, while lines still go into it. */
interface OpenSegment {
  id: number;
  rows: number;
  minTs: number;
  maxTs: number;
  bloom: Uint8Array;
  /** Rows the stored filter covers. */
  bloomRows: number;
}

/** A filling segment's filter is written once this many rows were added since it last was. */
const BLOOM_WRITE_ROWS = 4096;
/** Filters of full segments kept in memory for request-id queries (40 KiB each at the default size). */
const BLOOM_CACHE = 512;

export type { Combo } from "./audit-dictionary.js";

/**
 * The write side of the index: interning, segments, and one transaction per flushed batch that moves
 * a file's offset together with its rows, so a crash never indexes a line twice or skips one.
 * @internal
 */
export class AuditIndexStore {
  readonly db: Database.Database;
  readonly segmentLines: number;
  #dict = new AuditDictionary();
  /** Filters of segments not filling here, most recently used last. */
  #blooms = new Map<number, { rows: number; bloom: Uint8Array }>();
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
      lastSeg: db.prepare<[number], { id: number; rows: number; min_ts: number; max_ts: number; bloom: Buffer; bloom_rows: number }>(
        "SELECT id, rows, min_ts, max_ts, bloom, bloom_rows FROM segs WHERE file = ? ORDER BY id DESC LIMIT 1",
      ),
      segBloom: db.prepare<[number], { bloom: Buffer; bloom_rows: number }>("SELECT bloom, bloom_rows FROM segs WHERE id = ?"),
      segRuns: db.prepare<[number], { n: number; data: Buffer }>("SELECT n, data FROM runs WHERE seg = ?"),
      insertSeg: db.prepare("INSERT INTO segs (file, rows, min_ts, max_ts, bloom, bloom_rows) VALUES (?, 0, 0, 0, x'', 0)"),
      updateSeg: db.prepare("UPDATE segs SET rows = ?, min_ts = ?, max_ts = ? WHERE id = ?"),
      writeBloom: db.prepare("UPDATE segs SET bloom = ?, bloom_rows = ? WHERE id = ?"),
      insertStr: db.prepare("INSERT INTO strs (id, kind, s) VALUES (?, ?, ?)"),
      insertCombo: db.prepare("INSERT INTO combos (id, endpoint, method, status, caller, error_code, phase) VALUES (?, ?, ?, ?, ?, ?, ?)"),
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
      this.db.prepare<[], Combo & { id: number }>("SELECT id, endpoint, method, status, caller, error_code, phase FROM combos").iterate(),
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

  /** The dictionary of ids; a pass on this thread interns into it directly. */
  get dict(): AuditDictionary {
    return this.#dict;
  }

  /** Rows in the file's open segment (0 when its last segment is full or it has none). */
  openRows(fileId: number): number {
    return this.#openSegment(fileId)?.rows ?? 0;
  }

  #openSegment(fileId: number): OpenSegment | undefined {
    let seg = this.#open.get(fileId);
    if (seg === undefined) {
      const r = this.#stmt.lastSeg.get(fileId);
      if (r === undefined || r.rows >= this.segmentLines) return undefined;
      const bloom = r.bloom_rows === r.rows ? new Uint8Array(r.bloom) : this.#bloomFromRuns(r.id);
      seg = { id: r.id, rows: r.rows, minTs: r.min_ts, maxTs: r.max_ts, bloom, bloomRows: r.bloom_rows };
      this.#open.set(fileId, seg);
    }
    return seg.rows < this.segmentLines ? seg : undefined;
  }

  /**
   * Writes an encoded batch (lines of one file following `enc.base` lines of its open segment, or
   * starting a new segment when `enc.base` is 0), the ids made with it, and the file's new progress
   * in one transaction. `made` came from another thread's dictionary when `foreign`: then this one
   * learns the ids too. On failure nothing is written and the in-memory state is reloaded.
   */
  flush(file: FileRow, enc: EncodedBatch, made: Made, foreign: boolean, progress: { offset: number; lines: number; size: number; mtime: number; complete: boolean }): void {
    const s = this.#stmt;
    try {
      this.db.transaction(() => {
        for (const [id, kind, str] of made.strs) s.insertStr.run(id, kind, str);
        for (const [id, c] of made.combos) s.insertCombo.run(id, c.endpoint, c.method, c.status, c.caller, c.error_code, c.phase);
        if (enc.n > 0) {
          let seg = this.#openSegment(file.id);
          if (enc.base === 0 && seg?.rows !== 0) {
            const id = Number(s.insertSeg.run(file.id).lastInsertRowid);
            seg = { id, rows: 0, minTs: Number.POSITIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, bloom: new Uint8Array(bloomBytes(this.segmentLines)), bloomRows: 0 };
            this.#open.set(file.id, seg);
          }
          if (seg === undefined || seg.rows !== enc.base) throw new Error(`audit index: segment of ${file.name} moved during a refresh (${seg?.rows} rows, batch after ${enc.base})`);
          const { runs, data } = enc;
          for (let r = 0; r < runs.length; r += 7) {
            const minTs = runs[r + 2]!;
            const maxTs = runs[r + 3]!;
            s.insertRun.run(seg.id, runs[r], runs[r + 1], minTs, maxTs, runs[r + 4], Buffer.from(data, runs[r + 5], runs[r + 6]));
            if (minTs < seg.minTs) seg.minTs = minTs;
            if (maxTs > seg.maxTs) seg.maxTs = maxTs;
          }
          for (let i = 0; i < enc.n; i++) bloomAdd(seg.bloom, enc.ridA[i]!, enc.ridB[i]!);
          seg.rows += enc.n;
          s.updateSeg.run(seg.rows, seg.minTs, seg.maxTs, seg.id);
          if (seg.rows >= this.segmentLines || seg.rows - seg.bloomRows >= BLOOM_WRITE_ROWS) {
            s.writeBloom.run(seg.bloom, seg.rows, seg.id);
            seg.bloomRows = seg.rows;
          }
        }
        s.progress.run(progress.offset, progress.lines, progress.size, progress.mtime, progress.complete ? 1 : 0, file.id);
      })();
    } catch (err) {
      this.#reload();
      throw err;
    }
    if (foreign) this.#dict.learn(made);
    Object.assign(file, { offset: progress.offset, lines: progress.lines, size: progress.size, mtime: progress.mtime, complete: progress.complete ? 1 : 0 });
  }

  /**
   * The Bloom filter of a segment that holds `rows` rows: a filling one's from memory, a stored one
   * when it covers every row, else rebuilt from the segment's runs.
   */
  bloomOf(segId: number, rows: number): Uint8Array {
    for (const seg of this.#open.values()) if (seg.id === segId) return seg.bloom;
    const cached = this.#blooms.get(segId);
    if (cached?.rows === rows) return cached.bloom;
    const r = this.#stmt.segBloom.get(segId);
    const bloom = r !== undefined && r.bloom_rows === rows ? new Uint8Array(r.bloom) : this.#bloomFromRuns(segId);
    this.#blooms.delete(segId);
    this.#blooms.set(segId, { rows, bloom });
    if (this.#blooms.size > BLOOM_CACHE) this.#blooms.delete(this.#blooms.keys().next().value!);
    return bloom;
  }

  /** Writes the filters of filling segments that grew since they were last written (when idle, and on close). */
  writeBlooms(): void {
    for (const seg of this.#open.values()) {
      if (seg.rows === seg.bloomRows) continue;
      this.#stmt.writeBloom.run(seg.bloom, seg.rows, seg.id);
      seg.bloomRows = seg.rows;
    }
  }

  #bloomFromRuns(segId: number): Uint8Array {
    const bloom = new Uint8Array(bloomBytes(this.segmentLines));
    for (const run of this.#stmt.segRuns.iterate(segId)) {
      decodeRun(run.data, run.n, (r) => {
        if (r.rid !== undefined) bloomAdd(bloom, uuidHashA(r.rid, 0), uuidHashB(r.rid, 0));
        else bloomAdd(bloom, textHashA(r.ridText!), textHashB(r.ridText!));
      });
    }
    return bloom;
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
