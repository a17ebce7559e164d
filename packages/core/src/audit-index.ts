import type { Stats } from "node:fs";
import { AuditFileTracker } from "./audit-file-tracker.js";
import { AuditLineSplitter, MAX_AUDIT_LINE_BYTES, readAuditBytes, readAuditBytesSync, type AuditFile, type AuditLineSink } from "./audit-files.js";
import { AuditIndexReader } from "./audit-index-query.js";
import { AuditIndexStore, openIndexDatabase, SegmentBatch, type FileRow } from "./audit-index-store.js";
import { newLineFields, scanAuditLine } from "./audit-line-parser.js";
import type { AuditQuery, AuditRecord } from "./location-router-api.js";

/** Options of createAuditIndex(). */
export interface AuditIndexOptions {
  /** The live audit file; its rotated copies (`.N`, `.N.gz`) are found beside it. */
  path: string;
  /** The SQLite file (created 0600, with `-wal` and `-shm` beside it). */
  indexPath: string;
  /**
   * Told about each input the indexer skips (a line that is not JSON or not a record, a record with
   * unknown fields, a cut last line of a rotated file, a file gone between two runs), by file and
   * line number, never by content. At most 10 per file and run, then one summary; all are counted.
   * @default process.emitWarning
   */
  onWarning?: ((err: Error) => void) | undefined;
  /**
   * Lines per index segment; a query seeks once per segment in its time range. Small values only for tests.
   * @default 32768
   */
  segmentLines?: number | undefined;
}

/** What one refresh did. */
export interface AuditIndexRefresh {
  /** Files that had new lines. */
  files: number;
  /** Lines read (good and bad). */
  lines: number;
  /** Bytes read (decompressed bytes for gzipped files). */
  bytes: number;
}

/** The SQLite index of an audit log; see createAuditIndex(). */
export interface AuditIndex {
  /** Reads what was appended to the log's files since the last refresh; one refresh runs at a time. */
  refresh(): Promise<AuditIndexRefresh>;
  /** Matching records in (ts, log order) order, as of the last refresh; streamed from a read connection. */
  query(q: AuditQuery): Generator<AuditRecord, void, undefined>;
  /** Drops a file's rows (retention is about to remove it); false when the file was not indexed. */
  forget(filePath: string): Promise<boolean>;
  /** Inputs skipped with a warning since the index was opened: the `audit_index_warnings` metric. */
  readonly warnings: number;
  close(): void;
}

export const DEFAULT_AUDIT_SEGMENT_LINES = 32_768;
const WARNINGS_PER_FILE = 10;
/** New bytes read in one synchronous read (what a refresh between queries usually finds). */
const SMALL_READ = 256 * 1024;

class SqliteAuditIndex implements AuditIndex {
  readonly #store: AuditIndexStore;
  readonly #reader: AuditIndexReader;
  readonly #warn: (err: Error) => void;
  readonly #tracker: AuditFileTracker;
  readonly #batch: SegmentBatch;
  readonly #fields = newLineFields();
  /** Cut last lines already reported, by file id and offset, so each is told once. */
  readonly #toldCut = new Set<string>();
  #warnings = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: AuditIndexOptions) {
    this.#tracker = new AuditFileTracker(options.path);
    this.#warn = options.onWarning ?? ((err) => process.emitWarning(err));
    const db = openIndexDatabase(options.indexPath);
    this.#store = new AuditIndexStore(db, options.segmentLines ?? DEFAULT_AUDIT_SEGMENT_LINES);
    this.#batch = new SegmentBatch(this.#store.segmentLines);
    this.#reader = new AuditIndexReader(options.indexPath, this.#store);
  }

  get warnings(): number {
    return this.#warnings;
  }

  refresh(): Promise<AuditIndexRefresh> {
    const run = this.#chain.then(() => this.#refresh());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  query(q: AuditQuery): Generator<AuditRecord, void, undefined> {
    if (this.#closed) throw new Error("the audit index is closed");
    return this.#reader.query(q);
  }

  async forget(filePath: string): Promise<boolean> {
    await this.#chain;
    const id = await this.#tracker.idOf(filePath, this.#store);
    if (id === undefined) return false;
    this.#store.dropFile(id);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close();
    this.#store.db.close();
  }

  #report(message: string): void {
    this.#warnings++;
    this.#warn(new Error(message));
  }

  async #refresh(): Promise<AuditIndexRefresh> {
    if (this.#closed) throw new Error("the audit index is closed");
    const store = this.#store;
    store.sync();
    const done: AuditIndexRefresh = { files: 0, lines: 0, bytes: 0 };
    const { files, full, sure } = await this.#tracker.list();
    let complete = full && sure;
    const rows = new Map(store.files().map((r) => [r.id, r]));
    const seen = new Set<number>();
    for (const { file, st } of files) {
      try {
        const row = await this.#tracker.identify({ file, st }, full, rows, store);
        if (row === undefined || seen.has(row.id)) continue;
        seen.add(row.id);
        const n = await this.#indexFile(row, file, st);
        if (n.lines > 0) done.files++;
        done.lines += n.lines;
        done.bytes += n.bytes;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        complete = false;
        this.#report(`audit index: ${file.path} was removed while it was read; it is read again on the next refresh`);
      }
    }
    // Only when every file of the log was listed and read can an unseen file be called gone.
    if (complete) {
      for (const row of rows.values()) {
        if (seen.has(row.id)) continue;
        this.#report(`audit index: the audit file last seen as ${row.name} is gone; its ${row.lines} line(s) are no longer in the index`);
        store.dropFile(row.id);
      }
    }
    return done;
  }

  /** Indexes the file's lines after the row's offset, one segment-sized transaction at a time. */
  async #indexFile(row: FileRow, file: AuditFile, st: Stats): Promise<{ lines: number; bytes: number }> {
    const mtime = Math.floor(st.mtimeMs);
    if (file.gz ? row.complete === 1 && row.size === st.size && row.mtime === mtime : st.size <= row.offset) return { lines: 0, bytes: 0 };
    const store = this.#store;
    const start = { offset: row.offset, lines: row.lines };
    let { offset, lines } = start;
    let room = store.room(row.id);
    let told = 0;
    const batch = this.#batch;
    batch.clear();
    const parsed = this.#fields;
    const warn = (what: string): void => {
      if (++told <= WARNINGS_PER_FILE) this.#report(`audit index: ${file.path} line ${lines}: ${what}; skipped`);
      else this.#warnings++;
    };
    const flush = (complete: boolean): void => {
      store.flush(row, batch, { offset, lines, size: st.size, mtime, complete });
      batch.clear();
      room = store.room(row.id);
    };
    const sink: AuditLineSink = {
      line(text, s, e, bytes, noEscapes) {
        lines++;
        offset += bytes;
        if (e === s) return; // a blank line carries nothing
        const fault = scanAuditLine(text, parsed, s, e, noEscapes);
        if (fault !== undefined) return warn(fault);
        if (parsed.unknownFields > 0) warn(`${parsed.unknownFields} unknown field(s) not indexed; the record's own fields are`);
        store.stage(batch, parsed);
        if (batch.size >= room) flush(false);
      },
      overlong(bytes) {
        lines++;
        offset += bytes;
        warn(`longer than ${MAX_AUDIT_LINE_BYTES} bytes`);
      },
    };
    const splitter = new AuditLineSplitter();
    if (!file.gz && st.size - row.offset <= SMALL_READ) splitter.push(readAuditBytesSync(file.path, row.offset, st.size), sink);
    else for await (const chunk of readAuditBytes(file, row.offset, file.gz ? Number.POSITIVE_INFINITY : st.size)) splitter.push(chunk, sink);
    if (splitter.carried > 0 && (file.gz || file.rank > 0)) {
      // The live file's last line may be half-written right now; a rotated file's cut line stays cut.
      const key = `${row.id}:${offset}`;
      if (!this.#toldCut.has(key)) {
        this.#toldCut.add(key);
        this.#report(`audit index: ${file.path} line ${lines + 1}: cut short (${splitter.carried} bytes without a newline, an interrupted write); skipped`);
      }
    }
    if (told > WARNINGS_PER_FILE) this.#report(`audit index: ${file.path}: ${told - WARNINGS_PER_FILE} more line(s) skipped`);
    flush(file.gz);
    return { lines: lines - start.lines, bytes: offset - start.offset };
  }
}

/**
 * Opens (creating it if needed) the SQLite index of the audit log at `options.path`. The index is a
 * cache of the JSONL files: deleting it only costs a rebuild. One process should refresh it at a
 * time (the server); a refresh notices another connection's changes and reloads its state.
 */
export function createAuditIndex(options: AuditIndexOptions): AuditIndex {
  return new SqliteAuditIndex(options);
}
