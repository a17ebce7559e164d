import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { readAuditRecords } from "./audit-query.js";
import { auditLine } from "./audit-record.js";
import type { AuditQuery, AuditRecord } from "./location-router-api.js";

/**
 * When records reach the disk. A process crash loses only records still in memory (appended in the
 * current tick, or held back by a failing disk); the modes differ in what an OS crash or power loss takes:
 * - `always`: each batch is fdatasynced before the next is written and before `flush()` resolves.
 *   Loses at most the batch being written (the records appended since the last sync finished).
 * - `interval`: written at once, fdatasynced at most every `fsyncIntervalMs`. Loses up to about
 *   `fsyncIntervalMs` of records plus the batch in flight.
 * - `never`: written at once, synced when the OS decides (on Linux, dirty pages are written back
 *   within about 30 s). Loses whatever the kernel had not written back.
 */
export type AuditFsyncPolicy = "always" | "interval" | "never";

/** `settings.audit`, camelCase. */
export interface AuditLogOptions {
  /**
   * The JSONL file; its directory is created (0700) and the file is created 0600 and opened for append.
   * @default "state/audit/audit.jsonl" (from settings)
   */
  path: string;
  /**
   * See AuditFsyncPolicy for what each mode can lose.
   * @default "interval" (from settings)
   */
  fsync: AuditFsyncPolicy;
  /**
   * With `fsync: "interval"`, the least time between two syncs.
   * @default 100 (from settings)
   */
  fsyncIntervalMs: number;
  /**
   * Told about I/O failures (the records are kept and retried) and bad lines met by `query`.
   * @default process.emitWarning
   */
  onError?: ((err: Error) => void) | undefined;
  /**
   * Most bytes kept in memory while the file cannot be written; past it, new records are refused and
   * each refusal is reported through onError, so memory stays bounded and no loss is silent.
   * @default 67108864 (64 MiB: hours of lines at a few hundred calls a second)
   */
  maxBufferedBytes?: number | undefined;
}

/** The append-only audit trail: one JSON line per call. */
export interface AuditLog {
  /** Enqueues one record; synchronous, never throws on I/O; records are written in append order. */
  append(record: AuditRecord): void;
  /** Resolves when everything appended so far is written, and fdatasynced unless fsync is "never"; rejects if the write fails. */
  flush(): Promise<void>;
  /** Flushes and closes the file; later appends are reported through onError, not written. */
  close(): Promise<void>;
  /** Scans the file(s) and yields matching records, oldest first; flushes first so it sees every append. */
  query(q: AuditQuery): AsyncIterable<AuditRecord>;
}

/** Default for `maxBufferedBytes`; see AuditLogOptions. */
export const DEFAULT_AUDIT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** After a failed write or sync, try again after this long (or at once on `flush()`/`close()`). */
const RETRY_DELAY_MS = 1_000;
const NEWLINE = Buffer.from("\n");

interface FlushWaiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

class JsonlAuditLog implements AuditLog {
  readonly #path: string;
  readonly #fsync: AuditFsyncPolicy;
  readonly #intervalMs: number;
  readonly #report: (err: Error) => void;
  readonly #maxBuffered: number;
  /** Lines appended and not yet handed to write(); a string, so appending allocates nothing more. */
  #pending = "";
  /** Records appended / written / synced, counted; a flush waits for its count. */
  #appended = 0;
  #written = 0;
  #synced = 0;
  /** The batch being written, and how much of it is already in the file (a failed write resumes there). */
  #batch: Buffer | undefined;
  #batchOffset = 0;
  #batchUpTo = 0;
  #fh: FileHandle | undefined;
  /** The existing file did not end in a newline (a crash mid-line): start the next batch on a new line. */
  #needNewline = false;
  #pumping = false;
  #scheduled = false;
  #syncDue = false;
  #lastSyncAt = 0;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #waiters: FlushWaiter[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AuditLogOptions) {
    this.#path = options.path;
    this.#fsync = options.fsync;
    this.#intervalMs = options.fsyncIntervalMs;
    this.#report = options.onError ?? ((err) => process.emitWarning(err));
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_AUDIT_MAX_BUFFERED_BYTES;
  }

  append(record: AuditRecord): void {
    if (this.#closed) {
      this.#report(new Error(`audit log ${this.#path} is closed; the record of request ${record.request_id} was not written`));
      return;
    }
    if (this.#pending.length + (this.#batch?.length ?? 0) >= this.#maxBuffered) {
      this.#report(
        new Error(`audit log ${this.#path}: ${this.#maxBuffered} bytes wait for the disk; the record of request ${record.request_id} was not written`),
      );
      return;
    }
    this.#pending += auditLine(record);
    this.#appended++;
    if (!this.#scheduled && !this.#pumping && this.#retryTimer === undefined) {
      // One write per batch: everything appended until the next turn of the event loop.
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
  }

  flush(): Promise<void> {
    const upTo = this.#appended;
    if (this.#durable() >= upTo) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject });
      // An explicit flush does not wait out a retry delay or a sync interval.
      if (this.#retryTimer !== undefined) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
      }
      void this.#pump();
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  query(q: AuditQuery): AsyncIterable<AuditRecord> {
    const path = this.#path;
    const report = this.#report;
    const flushed = this.#closed ? Promise.resolve() : this.flush().catch(() => undefined); // failures are reported already
    return {
      async *[Symbol.asyncIterator]() {
        await flushed;
        yield* readAuditRecords(path, q, report);
      },
    };
  }

  async #close(): Promise<void> {
    try {
      // Appends that arrive while the last batch is written are still taken.
      while (this.#durable() < this.#appended) await this.flush();
    } finally {
      this.#closed = true;
      clearTimeout(this.#syncTimer);
      clearTimeout(this.#retryTimer);
      this.#syncTimer = this.#retryTimer = undefined;
      const fh = this.#fh;
      this.#fh = undefined;
      await fh?.close().catch((err: unknown) => this.#report(err as Error));
    }
  }

  readonly #onImmediate = (): void => {
    this.#scheduled = false;
    void this.#pump();
  };

  #durable(): number {
    return this.#fsync === "never" ? this.#written : this.#synced;
  }

  #syncWanted(): boolean {
    if (this.#synced >= this.#written || this.#fsync === "never") return false;
    return this.#fsync === "always" || this.#syncDue || this.#waiters.length > 0;
  }

  /** The only code that touches the file: one write or sync at a time, in order, until nothing is left. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const write = this.#batch !== undefined || this.#pending !== "";
        if (!write && !this.#syncWanted()) break;
        const fh = this.#fh ?? (await this.#open());
        if (!write) {
          const upTo = this.#written;
          this.#syncDue = false;
          await fh.datasync();
          this.#synced = upTo;
          this.#lastSyncAt = Date.now();
          this.#settle();
          continue;
        }
        if (this.#batch === undefined) {
          this.#batch = Buffer.from(this.#pending, "utf8");
          this.#batchOffset = 0;
          this.#batchUpTo = this.#appended;
          this.#pending = "";
        }
        if (this.#needNewline) {
          if (this.#batchOffset === 0) this.#batch = Buffer.concat([NEWLINE, this.#batch]);
          this.#needNewline = false;
        }
        while (this.#batchOffset < this.#batch.length) {
          const { bytesWritten } = await fh.write(this.#batch, this.#batchOffset, this.#batch.length - this.#batchOffset);
          this.#batchOffset += bytesWritten;
        }
        this.#batch = undefined;
        this.#written = this.#batchUpTo;
        if (this.#fsync === "interval") this.#armSync();
        this.#settle();
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
  }

  async #open(): Promise<FileHandle> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const fh = await open(this.#path, "a", 0o600);
    try {
      const st = await fh.stat();
      // The mode only applies when the file is created; tighten a file someone made readable.
      if ((st.mode & 0o077) !== 0) {
        await fh.chmod(0o600).catch((err: unknown) => this.#report(new Error(`audit log ${this.#path}: cannot make it 0600`, { cause: err })));
      }
      if (st.size > 0) {
        const last = Buffer.alloc(1);
        // Read by position: an "a" handle cannot read, so open a second one briefly.
        const rd = await open(this.#path, "r");
        try {
          await rd.read(last, 0, 1, st.size - 1);
        } finally {
          await rd.close();
        }
        this.#needNewline = last[0] !== 0x0a;
      }
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.#fh = fh;
    return fh;
  }

  #armSync(): void {
    if (this.#syncTimer !== undefined) return;
    const delay = Math.max(0, this.#lastSyncAt + this.#intervalMs - Date.now());
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.#syncDue = true;
      void this.#pump();
    }, delay);
    // A pending sync must not hold the process open; close() syncs whatever is left.
    this.#syncTimer.unref();
  }

  /** Resolves the flushes whose records are now durable. */
  #settle(): void {
    const durable = this.#durable();
    if (this.#waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const w of this.#waiters) {
      if (w.upTo <= durable) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** Reports the failure, keeps every record (the batch resumes where it stopped), retries later. */
  #fail(err: unknown): void {
    const kept = this.#appended - this.#written;
    const error = new Error(
      `audit log ${this.#path}: ${(err as Error)?.message ?? String(err)}; ${kept} record(s) kept in memory and retried`,
      { cause: err },
    );
    this.#report(error);
    const fh = this.#fh;
    this.#fh = undefined; // reopen on retry: the file may have been removed or its handle broken
    void fh?.close().catch(() => undefined);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#pump();
    }, RETRY_DELAY_MS);
    this.#retryTimer.unref();
  }
}

/**
 * Creates the audit log: append-only JSONL, one line per call with only the fixed fields, written in
 * batches (one write per event-loop turn) and synced per `fsync`. Nothing is opened until the first write.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  return new JsonlAuditLog(options);
}
