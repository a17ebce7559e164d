import { createAuditIndex, type AuditIndex, type AuditIndexRefresh } from "./sqlite-index/audit-index.js";
import { readAuditRecords } from "./audit-query.js";
import { auditLine } from "./audit-record.js";
import { applyAuditRetention } from "./audit-retention.js";
import { AuditWriter, type AuditFsyncPolicy } from "./audit-writer.js";
import type { AuditQuery, AuditRecord } from "./audit-record.js";

export type { AuditFsyncPolicy } from "./audit-writer.js";

/** Relative to the working directory, under the git-ignored state/ folder. */
export const DEFAULT_AUDIT_PATH = "state/audit/audit.jsonl";
/** fsync in batches: at most 100 ms of audit lines lost on power failure, at a fraction of the cost of always. */
export const DEFAULT_AUDIT_FSYNC: AuditFsyncPolicy = "interval";
/** 100 ms between fsyncs under the interval policy. */
export const DEFAULT_AUDIT_FSYNC_INTERVAL_MS = 100;
/** 0: keep every rotated audit file; compliance decides how long, not a default. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 0;

/** The `audit` section of the settings, plus knobs for tests. */
export interface AuditLogOptions {
  /**
   * The JSONL file; its directory is created (0700) and the file is created 0600 and opened for append.
   * @default "state/audit/audit.jsonl"
   */
  path: string;
  /**
   * See AuditFsyncPolicy for what each mode can lose.
   * @default "interval"
   */
  fsync: AuditFsyncPolicy;
  /**
   * With `fsync: "interval"`, the least time between two syncs.
   * @default 100
   */
  fsyncIntervalMs: number;
  /**
   * The SQLite index queries use; a cache of the JSONL files, rebuilt if deleted.
   * @default `${path}.index.sqlite`
   */
  indexPath?: string | undefined;
  /**
   * Rotated files last written more than this many days ago are removed with their index rows, at
   * start and daily; the live file never is. 0 keeps every file.
   * @default 0
   */
  retentionDays?: number | undefined;
  /**
   * Least time between two looks (one stat) at whether logrotate moved or truncated the file; the look
   * happens before a batch is written, so an idle log costs nothing. 0 looks before every batch.
   * @default 1000
   */
  rotationCheckMs?: number | undefined;
  /**
   * Told about I/O failures (the records are kept and retried).
   * @default process.emitWarning
   */
  onError?: ((err: Error) => void) | undefined;
  /**
   * Told about input skipped by the indexer (bad lines, vanished files), a cut last line removed at
   * start, and a rotation noticed; never with a line's content.
   * @default onError
   */
  onWarning?: ((err: Error) => void) | undefined;
  /**
   * Most bytes kept in memory while the file cannot be written; past it, new records are refused and
   * each refusal is reported through onError, so memory stays bounded and no loss is silent.
   * @default 67108864 (64 MiB: hours of lines at a few hundred calls a second)
   */
  maxBufferedBytes?: number | undefined;
  /** Lines per index segment (see AuditIndexOptions.segmentLines); small values only for tests. */
  indexSegmentLines?: number | undefined;
}

/** The append-only, hash-chained audit trail: one JSON line per call, and its index. */
export interface AuditLog {
  /** Enqueues one record; synchronous, never throws on I/O; records are written in append order. */
  append(record: AuditRecord): void;
  /** Resolves when everything appended so far is written, and fdatasynced unless fsync is "never"; rejects if the write fails. */
  flush(): Promise<void>;
  /** Flushes and closes the file and the index; later appends are reported through onError, not written. */
  close(): Promise<void>;
  /**
   * Matching records ordered by ts (ties in log order), streamed from the index after it has read every
   * line appended so far. Falls back to scanning the files (reported through onWarning) when the index
   * cannot be used.
   */
  query(q: AuditQuery): AsyncIterable<AuditRecord>;
  /**
   * Closes the file and opens the path again, once what was written is synced; call it on SIGHUP after
   * logrotate. Rotation is also noticed without it (see rotationCheckMs). The hash chain runs on.
   */
  reopen(): Promise<void>;
  /** Brings the index up to date with the files (queries do it too); e.g. at start, so a first query is quick. */
  refreshIndex(): Promise<AuditIndexRefresh>;
  /** Applies `retentionDays` now; returns the removed files. Runs on its own at start and daily. */
  applyRetention(): Promise<string[]>;
  /** Inputs the indexer skipped with a warning since start (the `audit_index_warnings` metric). */
  readonly indexWarnings: number;
}

/** Default for `maxBufferedBytes`; see AuditLogOptions. */
export const DEFAULT_AUDIT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Default for `rotationCheckMs`: a rotation is noticed within a second of the next write. */
export const DEFAULT_AUDIT_ROTATION_CHECK_MS = 1_000;
const DAY_MS = 86_400_000;

class JsonlAuditLog implements AuditLog {
  readonly #o: AuditLogOptions;
  readonly #writer: AuditWriter;
  readonly #report: (err: Error) => void;
  readonly #warn: (err: Error) => void;
  #index: AuditIndex | undefined;
  #retentionTimers: ReturnType<typeof setTimeout>[] = [];

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#report = options.onError ?? ((err) => process.emitWarning(err));
    this.#warn = options.onWarning ?? this.#report;
    this.#writer = new AuditWriter({
      path: options.path,
      fsync: options.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_AUDIT_MAX_BUFFERED_BYTES,
      rotationCheckMs: options.rotationCheckMs ?? DEFAULT_AUDIT_ROTATION_CHECK_MS,
      onError: this.#report,
      onWarning: this.#warn,
    });
    if ((options.retentionDays ?? 0) > 0) {
      const run = (): void => void this.applyRetention().catch((err: unknown) => this.#report(err as Error));
      // Timers, not work in the constructor: creating the log stays synchronous and cheap.
      this.#retentionTimers = [setTimeout(run, 0), setInterval(run, DAY_MS)];
      for (const t of this.#retentionTimers) t.unref();
    }
  }

  get indexWarnings(): number {
    return this.#index?.warnings ?? 0;
  }

  append(record: AuditRecord): void {
    // auditLine() writes only the fixed fields, so a token or body the record carries never reaches the file.
    this.#writer.append(auditLine(record).slice(0, -1), record.request_id);
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  reopen(): Promise<void> {
    return this.#writer.reopen();
  }

  async close(): Promise<void> {
    for (const t of this.#retentionTimers) clearTimeout(t);
    try {
      await this.#writer.close();
    } finally {
      this.#index?.close();
    }
  }

  refreshIndex(): Promise<AuditIndexRefresh> {
    return this.#openIndex().refresh();
  }

  applyRetention(): Promise<string[]> {
    const days = this.#o.retentionDays ?? 0;
    return applyAuditRetention({ path: this.#o.path, retentionDays: days, index: days > 0 ? this.#openIndex() : undefined });
  }

  query(q: AuditQuery): AsyncIterable<AuditRecord> {
    const writer = this.#writer;
    const flushed = writer.closed ? Promise.resolve() : writer.flush().catch(() => undefined); // failures are reported already
    return {
      [Symbol.asyncIterator]: async function* (this: JsonlAuditLog) {
        await flushed;
        let index: AuditIndex | undefined;
        if (!writer.closed) {
          try {
            index = this.#openIndex();
            await index.refresh();
          } catch (err) {
            this.#warn(new Error(`audit index unavailable (${(err as Error).message}); scanning the audit files instead`, { cause: err }));
            index = undefined;
          }
        }
        if (index !== undefined) yield* index.query(q);
        else yield* readAuditRecords(this.#o.path, q, this.#warn);
      }.bind(this),
    };
  }

  #openIndex(): AuditIndex {
    this.#index ??= createAuditIndex({
      path: this.#o.path,
      indexPath: this.#o.indexPath ?? `${this.#o.path}.index.sqlite`,
      onWarning: this.#warn,
      segmentLines: this.#o.indexSegmentLines,
    });
    return this.#index;
  }
}

/**
 * Creates the audit log: append-only JSONL, one line per call with only the fixed fields and a hash
 * chained to the line before, written in batches (one write per event-loop turn) and synced per
 * `fsync`; queried through an SQLite index built from the files. Nothing is opened until needed.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  return new JsonlAuditLog(options);
}
