import { createAuditIndex, type AuditIndex, type AuditIndexRefresh } from "./sqlite-index/audit-index.js";
import { pairIntents } from "./audit-intents.js";
import { readAuditRecords } from "./audit-query.js";
import { auditLine } from "./audit-record.js";
import { applyAuditRetention } from "./audit-retention.js";
import { AuditWriter, type AuditWriterEvent } from "./audit-writer.js";
import { repairFileAnchors } from "./audit-anchor-repair.js";
import { signSeal } from "./audit-checkpoints.js";
import {
  DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_AUDIT_MAX_PENDING_BYTES,
  DEFAULT_AUDIT_ROTATION_CHECK_MS,
  type AuditLogOptions,
} from "./audit-log-options.js";
import type { AuditQuery, AuditRecord } from "./audit-record.js";

export type { AuditFsyncPolicy, AuditWriterEvent } from "./audit-writer.js";
export type { AuditFailurePolicy, AuditLogOptions } from "./audit-log-options.js";

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
   * line appended so far. An intent line is yielded only when no outcome line follows it (outcome unknown). Falls back to scanning the files (reported through onWarning) when the index
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
  /** False from a failed write, sync or open of the file until the next success (retried every second). */
  readonly writable: boolean;
  /** Why the file cannot be written, while it cannot. */
  readonly failure: Error | undefined;
  /** Bytes of lines waiting in memory for the disk. */
  readonly pendingBytes: number;
  /** True when the memory bound is reached: the next line would be refused. */
  full(): boolean;
  /** Told about every failed write, sync or open, and when the file takes lines again; returns the unsubscribe. */
  onStatus(listener: (event: AuditWriterEvent) => void): () => void;
  /** Records a checkpoint of the durable head now (when it moved since the last); see audit-checkpoints.ts. */
  checkpoint(): Promise<void>;
}

const DAY_MS = 86_400_000;

class JsonlAuditLog implements AuditLog {
  readonly #o: AuditLogOptions;
  readonly #writer: AuditWriter;
  readonly #report: (err: Error) => void;
  readonly #warn: (err: Error) => void;
  #index: AuditIndex | undefined;
  #retentionTimers: ReturnType<typeof setTimeout>[] = [];
  readonly #listeners = new Set<(event: AuditWriterEvent) => void>();
  #checkpointTimer: ReturnType<typeof setInterval> | undefined;
  /** The head the last checkpoint recorded; a checkpoint is written only when the head moved. */
  #checkpointed: string | undefined;
  /** Anchors and checkpoints, written one after another. */
  #sealing: Promise<void> = Promise.resolve();

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#report = options.onError ?? ((err) => process.emitWarning(err));
    this.#warn = options.onWarning ?? this.#report;
    const store = options.checkpoints;
    this.#writer = new AuditWriter({
      path: options.path,
      fsync: options.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs,
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_AUDIT_MAX_PENDING_BYTES,
      rotationCheckMs: options.rotationCheckMs ?? DEFAULT_AUDIT_ROTATION_CHECK_MS,
      onError: this.#report,
      onWarning: this.#warn,
      onStatus: (event) => {
        for (const l of this.#listeners) l(event);
      },
      onFileStart:
        store === undefined
          ? undefined
          : ({ prevHash, hash }) =>
              this.#seal(() => store.add(signSeal({ kind: "anchor", ts: new Date().toISOString(), prev_hash: prevHash, first_hash: hash, reason: "file_start" }, options.checkpointKey))),
    });
    if (store !== undefined) {
      this.#checkpointTimer = setInterval(() => void this.checkpoint(), options.checkpointIntervalMs ?? DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS);
      this.#checkpointTimer.unref();
      // A crash between a file's first line and its anchor leaves the file unanchored: recorded now, if provable.
      this.#seal(() => repairFileAnchors(options.path, store, options.checkpointKey));
    }
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

  get writable(): boolean {
    return this.#writer.writable;
  }

  get failure(): Error | undefined {
    return this.#writer.failure;
  }

  get pendingBytes(): number {
    return this.#writer.pendingBytes;
  }

  full(): boolean {
    return this.#writer.full();
  }

  onStatus(listener: (event: AuditWriterEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  checkpoint(): Promise<void> {
    const store = this.#o.checkpoints;
    const head = this.#writer.durableHead;
    if (store === undefined || head === undefined || head.hash === this.#checkpointed) return this.#sealing;
    this.#checkpointed = head.hash;
    const seal = signSeal({ kind: "checkpoint", ts: new Date().toISOString(), head_hash: head.hash, lines: head.lines, file_head: head.fileHead } as const, this.#o.checkpointKey);
    return this.#seal(() => store.add(seal));
  }

  /** Queues a write to the checkpoint store; a failure is reported, and the next checkpoint tries again. */
  #seal(write: () => Promise<void>): Promise<void> {
    this.#sealing = this.#sealing.then(write).catch((err: unknown) => {
      this.#checkpointed = undefined;
      this.#report(new Error(`audit checkpoints (${this.#o.checkpoints?.where ?? "none"}): ${(err as Error).message}`, { cause: err }));
    });
    return this.#sealing;
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
    clearInterval(this.#checkpointTimer);
    try {
      await this.#writer.close();
    } finally {
      // The head as it stands at close: a restart finds the log's end recorded.
      await this.checkpoint();
      await this.#o.checkpoints?.close().catch((err: unknown) => this.#report(err as Error));
      this.#index?.close();
    }
  }

  refreshIndex(): Promise<AuditIndexRefresh> {
    return this.#openIndex().refresh();
  }

  async applyRetention(): Promise<string[]> {
    const days = this.#o.retentionDays ?? 0;
    const store = this.#o.checkpoints;
    const key = this.#o.checkpointKey;
    const removed = await applyAuditRetention({
      path: this.#o.path,
      retentionDays: days,
      index: days > 0 ? this.#openIndex() : undefined,
      // Recorded before the files go: if it cannot be, nothing is removed.
      anchor: store === undefined ? undefined : (a) => store.add(signSeal({ kind: "anchor", ts: new Date().toISOString(), prev_hash: a.prevHash, first_hash: a.firstHash, reason: "retention" }, key)),
    });
    if (removed.length > 0) await this.checkpoint();
    return removed;
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
        // The limit counts calls, not lines: an intent line answered by its outcome line is not yielded.
        const inner = { ...q, limit: undefined };
        if (index !== undefined) yield* pairIntents(index.query(inner), true, q.limit);
        else yield* pairIntents(readAuditRecords(this.#o.path, inner, this.#warn), false, q.limit);
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
