import type { AuditCheckpointStore } from "./audit-checkpoints.js";
import type { AuditFsyncPolicy } from "./audit-writer-options.js";

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

/** Default for `rotationCheckMs`: a rotation is noticed within a second of the next write. */
export const DEFAULT_AUDIT_ROTATION_CHECK_MS = 1_000;
