/**
 * When records reach the disk. Every mode writes each batch (the records appended in one turn of the
 * event loop) at once; they differ in when the written bytes are forced to the device:
 * - `always`: fdatasync after every batch, before the next batch and before `flush()` resolves.
 *   An OS crash or power loss loses at most the batch being written.
 * - `interval`: fdatasync at most every `fsyncIntervalMs` (default 100 ms). An OS crash or power loss
 *   loses up to about `fsyncIntervalMs` of records, plus the batch being written.
 * - `never`: the kernel writes back when it decides (on Linux within about 30 s). An OS crash or power
 *   loss loses whatever it had not written back.
 * In every mode a crash of the process alone loses only the records still in memory: those appended in
 * the current turn of the event loop, or held back while the disk refuses writes. A graceful shutdown
 * (`close()`) loses nothing: it writes and syncs every record appended before it.
 * With `always` the router also waits for a write's intent line before sending it and for its outcome line
 * before answering (router/router-audit.ts); the README's durability table states each mode's guarantee.
 */
export type AuditFsyncPolicy = "always" | "interval" | "never";

/** What the writer needs; AuditLogOptions documents each setting. @internal */
export interface AuditWriterOptions {
  readonly path: string;
  readonly fsync: AuditFsyncPolicy;
  readonly fsyncIntervalMs: number;
  readonly maxPendingBytes: number;
  readonly rotationCheckMs: number;
  readonly onError: (err: Error) => void;
  readonly onWarning: (err: Error) => void;
  /** Every failed write, sync or open (`error`), and the first success after failures (`writable`). */
  readonly onStatus?: ((event: AuditWriterEvent) => void) | undefined;
  /** The first line written into an empty file: the hash it chains from and its own. */
  readonly onFileStart?: ((start: { prevHash: string; hash: string }) => void) | undefined;
}

/** A line of the chain, for a checkpoint: its hash, its line number in its file, the hash of that file's first line. @internal */
export interface AuditHead {
  readonly hash: string;
  readonly lines: number;
  readonly fileHead: string;
}

/** What the writer tells `onStatus`. @internal */
export type AuditWriterEvent = { readonly kind: "failed"; readonly error: Error } | { readonly kind: "writable" };
