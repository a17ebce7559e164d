import { createAuditIndex, type AuditIndex, type AuditIndexRefresh } from "./sqlite-index/audit-index.js";
import { pairIntents } from "./audit-intents.js";
import { readAuditRecords } from "./audit-query.js";
import { auditLine } from "./audit-record.js";
import { applyAuditRetention } from "./audit-retention.js";
import { AuditWriter, type AuditFsyncPolicy, type AuditWriterEvent } from "./audit-writer.js";
import { AUDIT_GENESIS_HASH, auditChainHash, splitChainedLine } from "./audit-chain.js";
import { signSeal, type AuditCheckpointStore } from "./audit-checkpoints.js";
import { listAuditFiles } from "./audit-files.js";
import { firstLineOf, lastLineOf } from "./audit-tail.js";
import type { AuditQuery, AuditRecord } from "./audit-record.js";

export type { AuditFsyncPolicy, AuditWriterEvent } from "./audit-writer.js";

/** What the router does while the audit log cannot be written: refuse writes (reads go on), or every call. */
export type AuditFailurePolicy = "refuse_writes" | "refuse_all";

/** Relative to the working directory, under the git-ignored state/ folder. */
export const DEFAULT_AUDIT_PATH = "state/audit/audit.jsonl";
/** fsync in batches: at most 100 ms of audit lines lost on power failure, at a fraction of the cost of always. */
export const DEFAULT_AUDIT_FSYNC: AuditFsyncPolicy = "interval";
/** 100 ms between fsyncs under the interval policy. */
export const DEFAULT_AUDIT_FSYNC_INTERVAL_MS = 100;
/** 0: keep every rotated audit file; compliance decides how long, not a default. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 0;
/** Reads go on while the audit disk refuses lines (their lines wait in memory, bounded); writes never do. */
export const DEFAULT_AUDIT_ON_FAILURE: AuditFailurePolicy = "refuse_writes";
/** 8 MiB of lines (about 25,000) may wait in memory for the disk; past it every call is refused. */
export const DEFAULT_AUDIT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** A checkpoint a minute (when lines were written): at most a minute of lines can be cut from the end unnoticed. */
export const DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS = 60_000;

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
   * Most bytes kept in memory while the file cannot be written (`audit.max_pending_bytes`); past it, new
   * records are refused (reported through onError) and the router refuses every call, so memory stays
   * bounded and no loss is silent.
   * @default 8388608
   */
  maxPendingBytes?: number | undefined;
  /**
   * What the router refuses while the file cannot be written (`audit.on_failure`): new writes always, reads
   * too with "refuse_all". Read by the router, not the log.
   * @default "refuse_writes"
   */
  onFailure?: AuditFailurePolicy | undefined;
  /** Where anchors and checkpoints go (see audit-checkpoints.ts); none: neither is recorded. */
  checkpoints?: AuditCheckpointStore | undefined;
  /** Signs anchors and checkpoints (HMAC-SHA256); from `audit.checkpoints.hmac_key`. */
  checkpointKey?: Uint8Array | undefined;
  /**
   * Least time between two checkpoints (one is written only when lines were); also written on close.
   * @default 60000
   */
  checkpointIntervalMs?: number | undefined;
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
 * Records the anchor of the live file and of the newest rotated one when the store lacks it and the file's first
 * line provably starts there: it chains from the genesis hash, or from the last line of the file before it.
 * Nothing else is anchored, so a first line deleted or edited by hand never is.
 */
async function repairFileAnchors(path: string, store: AuditCheckpointStore, key: Uint8Array | undefined): Promise<void> {
  const files = (await listAuditFiles(path)).filter((f) => !f.gz);
  let anchored: Set<string> | undefined;
  // The live file and the newest rotated one: only the most recent file start can have lost its anchor.
  for (let i = Math.max(0, files.length - 2); i < files.length; i++) {
    const first = splitChainedLine((await firstLineOf(files[i]!).catch(() => undefined)) ?? "");
    if (first === undefined) continue;
    anchored ??= new Set((await store.read()).anchors.map((a) => a.first_hash));
    if (anchored.has(first.hash)) continue;
    const before = i > 0 ? files[i - 1] : undefined;
    const last = before === undefined ? undefined : splitChainedLine((await lastLineOf(before).catch(() => undefined)) ?? "")?.hash;
    const prev = [AUDIT_GENESIS_HASH, last].find((p) => p !== undefined && auditChainHash(p, first.canonical) === first.hash);
    if (prev === undefined) continue;
    await store.add(signSeal({ kind: "anchor", ts: new Date().toISOString(), prev_hash: prev, first_hash: first.hash, reason: "file_start" }, key));
    anchored.add(first.hash);
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
