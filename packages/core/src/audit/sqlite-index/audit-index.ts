import { statSync, type Stats } from "node:fs";
import { runFilePass, type PassEnd, type PassJob, type PassSink } from "./audit-file-pass.js";
import { AuditFileTracker, type SeenFile } from "./audit-file-tracker.js";
import type { AuditFile } from "../audit-files.js";
import { AuditIndexReader } from "./audit-index-query.js";
import { openIndexDatabase, type FileRow } from "./audit-index-database.js";
import { AuditIndexStore } from "./audit-index-store.js";
import { PassWorker } from "./audit-pass-worker.js";
import type { AuditQuery, AuditRecord } from "../audit-record.js";

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
  /**
   * A refresh with at least this many new bytes to read parses them in a worker thread while the main
   * thread writes (when the compiled worker is present); smaller ones parse on the main thread.
   * @default 16777216 (16 MiB)
   */
  workerMinBytes?: number | undefined;
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
/** When idle this often, the index writes filling segments' filters and checkpoints a WAL grown past IDLE_CHECKPOINT_BYTES. */
const IDLE_MS = 5_000;
const IDLE_CHECKPOINT_BYTES = 4 * 1024 * 1024;
const DEFAULT_WORKER_MIN_BYTES = 16 * 1024 * 1024;

class SqliteAuditIndex implements AuditIndex {
  readonly #store: AuditIndexStore;
  readonly #reader: AuditIndexReader;
  readonly #warn: (err: Error) => void;
  readonly #tracker: AuditFileTracker;
  readonly #workerMinBytes: number;
  /** Whether this refresh's ids come from a worker's dictionary. */
  #foreign = false;
  /** Cut last lines already reported, by file id and offset, so each is told once. */
  readonly #toldCut = new Set<string>();
  #warnings = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #busy = 0;
  #lastRefreshAt = 0;
  readonly #indexPath: string;
  readonly #idle: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(options: AuditIndexOptions) {
    this.#tracker = new AuditFileTracker(options.path);
    this.#warn = options.onWarning ?? ((err) => process.emitWarning(err));
    const db = openIndexDatabase(options.indexPath);
    this.#store = new AuditIndexStore(db, options.segmentLines ?? DEFAULT_AUDIT_SEGMENT_LINES);
    this.#workerMinBytes = options.workerMinBytes ?? DEFAULT_WORKER_MIN_BYTES;
    this.#indexPath = options.indexPath;
    // Housekeeping between queries rather than inside one: a checkpoint copies and syncs the WAL.
    this.#idle = setInterval(() => this.#housekeep(), IDLE_MS);
    this.#idle.unref();
    this.#reader = new AuditIndexReader(options.indexPath, this.#store);
  }

  get warnings(): number {
    return this.#warnings;
  }

  refresh(): Promise<AuditIndexRefresh> {
    this.#busy++;
    const run = this.#chain.then(() => this.#refresh()).finally(() => {
      this.#busy--;
      this.#lastRefreshAt = Date.now();
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #housekeep(): void {
    if (this.#closed || this.#busy > 0 || Date.now() - this.#lastRefreshAt < IDLE_MS / 2) return;
    try {
      this.#store.writeBlooms();
      const wal = statSync(`${this.#indexPath}-wal`, { throwIfNoEntry: false });
      if (wal !== undefined && wal.size > IDLE_CHECKPOINT_BYTES) this.#store.db.pragma("wal_checkpoint(PASSIVE)");
    } catch (err) {
      this.#warn(new Error(`audit index: housekeeping failed: ${(err as Error).message}`, { cause: err }));
    }
  }

  query(q: AuditQuery): Generator<AuditRecord, void, undefined> {
    if (this.#closed) throw new Error("the audit index is closed");
    return this.#reader.query(q);
  }

  async forget(filePath: string): Promise<boolean> {
    // In the refresh queue, so no refresh reads the file between its rows going and the file going.
    const run = this.#chain.then(async () => {
      const id = await this.#tracker.forget(filePath, this.#store);
      if (id !== undefined) this.#store.dropFile(id);
      return id !== undefined;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idle);
    this.#reader.close();
    try {
      this.#store.writeBlooms();
    } finally {
      this.#store.db.close();
    }
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
    const todo: { seen: SeenFile; row: FileRow }[] = [];
    let pending = 0;
    const vanished = (file: AuditFile, err: unknown): void => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      complete = false;
      this.#report(`audit index: ${file.path} was removed while it was read; it is read again on the next refresh`);
    };
    for (const f of files) {
      try {
        const row = await this.#tracker.identify(f, full, rows, store);
        if (row === undefined || seen.has(row.id)) continue;
        seen.add(row.id);
        if (!hasNew(row, f.file, f.st)) continue;
        todo.push({ seen: f, row });
        pending += f.file.gz ? f.st.size * 5 : f.st.size - row.offset;
      } catch (err) {
        vanished(f.file, err);
      }
    }
    // A big read is parsed in a worker thread while this one writes; a small one is not worth the start.
    const worker = todo.length > 0 && pending >= this.#workerMinBytes && PassWorker.available() ? new PassWorker(store.dict.snapshot()) : undefined;
    this.#foreign = worker !== undefined;
    try {
      // With a worker, every pass is queued at once: it reads ahead while this thread writes.
      const passes = (worker === undefined ? [] : todo).map(({ seen: f, row }) => {
        const job = this.#job(row, f);
        const p = worker!.pass(job.job, job.sink);
        p.catch(() => undefined); // awaited below, in order
        return { job, p };
      });
      for (let i = 0; i < todo.length; i++) {
        const { seen: f, row } = todo[i]!;
        try {
          const queued = passes[i];
          const job = queued?.job ?? this.#job(row, f);
          const end = queued === undefined ? await runFilePass(job.job, this.#store.dict, job.sink) : await queued.p;
          const n = this.#finish(row, f, job.job, end, worker !== undefined);
          if (n.lines > 0) done.files++;
          done.lines += n.lines;
          done.bytes += n.bytes;
        } catch (err) {
          vanished(f.file, err);
        }
      }
    } finally {
      await worker?.close();
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

  /** The pass that indexes a file's lines after the row's offset, writing one segment at a time. */
  #job(row: FileRow, { file, st }: SeenFile): { job: PassJob; sink: PassSink } {
    const store = this.#store;
    const mtime = Math.floor(st.mtimeMs);
    const job: PassJob = { file, from: row.offset, lines: row.lines, upTo: st.size, segRows: store.openRows(row.id), segmentLines: store.segmentLines };
    const sink: PassSink = {
      batch: (enc, made, progress) => store.flush(row, enc, made, this.#foreign, { ...progress, size: st.size, mtime, complete: false }),
      warn: (message) => this.#report(message),
    };
    return { job, sink };
  }

  /** Writes a pass's last batch with the file's final state; reports a cut last line of a rotated file once. */
  #finish(row: FileRow, { file, st }: SeenFile, start: PassJob, end: PassEnd, foreign: boolean): { lines: number; bytes: number } {
    this.#warnings += end.suppressed;
    const { offset, lines } = end.progress;
    if (end.carried > 0 && (file.gz || file.rank > 0)) {
      // The live file's last line may be half-written right now; a rotated file's cut line stays cut.
      const key = `${row.id}:${offset}`;
      if (!this.#toldCut.has(key)) {
        this.#toldCut.add(key);
        this.#report(`audit index: ${file.path} line ${lines + 1}: cut short (${end.carried} bytes without a newline, an interrupted write); skipped`);
      }
    }
    this.#store.flush(row, end.enc, end.made, foreign, { offset, lines, size: st.size, mtime: Math.floor(st.mtimeMs), complete: file.gz });
    return { lines: lines - start.lines, bytes: offset - start.from };
  }
}

/** Whether the file has bytes the row has not indexed (a gzipped file: unless read to its end as it is). */
function hasNew(row: FileRow, file: AuditFile, st: Stats): boolean {
  return file.gz ? !(row.complete === 1 && row.size === st.size && row.mtime === Math.floor(st.mtimeMs)) : st.size > row.offset;
}

/**
 * Opens (creating it if needed) the SQLite index of the audit log at `options.path`. The index is a
 * cache of the JSONL files: deleting it only costs a rebuild. One process should refresh it at a
 * time (the server); a refresh notices another connection's changes and reloads its state.
 */
export function createAuditIndex(options: AuditIndexOptions): AuditIndex {
  return new SqliteAuditIndex(options);
}
