import type { AuditWriterOptions } from "./audit-writer-options.js";

/** After a failed write or sync, try again after this long (or at once on `flush()`/`close()`). */
export const AUDIT_RETRY_DELAY_MS = 1_000;

/**
 * Whether the audit file takes lines, and what is said about it: onError hears once per episode (the first
 * failure, the first record refused while the buffer is full, the count refused when the file takes lines again),
 * onStatus hears every failure and the recovery; and the retry after a failure.
 * @internal
 */
export class AuditWriteHealth {
  readonly #o: Pick<AuditWriterOptions, "path" | "maxPendingBytes" | "onError" | "onStatus">;
  /** The last failure while the file cannot be written; undefined while it can. */
  #failing: Error | undefined;
  /** Records refused because the buffer was full, since the file was last writable. */
  #dropped = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: Pick<AuditWriterOptions, "path" | "maxPendingBytes" | "onError" | "onStatus">) {
    this.#o = options;
  }

  /** Why the file cannot be written, while it cannot. */
  get failing(): Error | undefined {
    return this.#failing;
  }

  /** The record of `requestId` was refused: the buffer is full. */
  refused(requestId: string): void {
    // Reported once per episode (a log line per refused record would flood the log); the count follows on recovery.
    if (this.#dropped++ === 0) {
      this.#o.onError(
        new Error(`audit log ${this.#o.path}: ${this.#o.maxPendingBytes} bytes wait for the disk; the record of request ${requestId} was not written, nor will later ones be until the disk takes lines`),
      );
    }
  }

  /** A write, sync or open went through: the file takes lines (again). */
  succeeded(): void {
    if (this.#failing === undefined) return;
    this.#failing = undefined;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0) this.#o.onError(new Error(`audit log ${this.#o.path}: ${dropped} record(s) were refused while the disk did not take lines`));
    this.#o.onStatus?.({ kind: "writable" });
  }

  /** A write, sync or open failed with `kept` records in memory: reported (through onError once per episode, to onStatus every time); returns the error. */
  failed(err: unknown, kept: number): Error {
    const error = Object.assign(
      new Error(`audit log ${this.#o.path}: ${(err as Error)?.message ?? String(err)}; ${kept} record(s) kept in memory and retried`, { cause: err }),
      { code: (err as NodeJS.ErrnoException)?.code },
    );
    if (this.#failing === undefined) this.#o.onError(error);
    this.#failing = error;
    this.#o.onStatus?.({ kind: "failed", error });
    return error;
  }

  /** True while a retry waits out its delay. */
  get retrying(): boolean {
    return this.#retryTimer !== undefined;
  }

  /** Calls `retry` after AUDIT_RETRY_DELAY_MS. */
  retryLater(retry: () => void): void {
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      retry();
    }, AUDIT_RETRY_DELAY_MS);
    this.#retryTimer.unref();
  }

  /** No waiting out the delay: an explicit request retries at once, a closed writer not at all. */
  cancelRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
