import type { FileHandle } from "node:fs/promises";
import { chainAuditLine } from "./audit-chain.js";
import { lookForRotation, openAuditAppend, type AppendFile } from "./audit-rotation.js";

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

/** After a failed write or sync, try again after this long (or at once on `flush()`/`close()`). */
export const AUDIT_RETRY_DELAY_MS = 1_000;

interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * The file side of the audit log: chains, batches, writes and syncs the lines, and follows the path
 * when logrotate moves the file away (`create`) or truncates it (`copytruncate`).
 * @internal
 */
export class AuditWriter {
  readonly #o: AuditWriterOptions;
  /** Canonical records appended and not yet in a batch; hashed when the batch is built. */
  #pending: string[] = [];
  #pendingBytes = 0;
  /** Records appended / written / synced, counted; a flush waits for its count. */
  #appended = 0;
  #written = 0;
  #synced = 0;
  /** The batch being written, and how much of it is in the file (a failed write resumes there). */
  #batch: Buffer | undefined;
  #batchOffset = 0;
  #batchUpTo = 0;
  /** The hash of the last line put in a batch; undefined until the file was first opened. */
  #lastHash: string | undefined;
  /** The open file: its handle, identity and our idea of its size, to notice a rotation. */
  #file: AppendFile | undefined;
  #checkedAt = 0;
  #reopenWanted = false;
  #reopenWaiters: Waiter[] = [];
  #pumping = false;
  #scheduled = false;
  #syncDue = false;
  #lastSyncAt = 0;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #waiters: Waiter[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The last failure while the file cannot be written; undefined while it can. */
  #failing: Error | undefined;
  /** Records refused because the buffer was full, since the file was last writable. */
  #dropped = 0;
  /** Complete lines in the open file (counted when it was opened) and the hash of its first line. */
  #fileLines = 0;
  #fileHead: string | undefined;

  constructor(options: AuditWriterOptions) {
    this.#o = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** False from a failed write, sync or open until the next success. */
  get writable(): boolean {
    return this.#failing === undefined;
  }

  /** Why the file cannot be written, while it cannot. */
  get failure(): Error | undefined {
    return this.#failing;
  }

  /** Bytes of records appended and not yet written. */
  get pendingBytes(): number {
    return this.#pendingBytes + (this.#batch === undefined ? 0 : this.#batch.length - this.#batchOffset);
  }

  /** True when another record of `bytes` would be refused (the buffer bound). */
  full(bytes = 0): boolean {
    return this.#pendingBytes + (this.#batch?.length ?? 0) + bytes >= this.#o.maxPendingBytes;
  }

  /**
   * The last line that is durable (synced; written, under `fsync: "never"`): its hash, its line number in its
   * file and the hash of that file's first line. Undefined until a line was.
   */
  get durableHead(): AuditHead | undefined {
    return this.#o.fsync === "never" ? this.#writtenHead() : this.#syncedHead;
  }

  #syncedHead: AuditHead | undefined;

  #writtenHead(): AuditHead | undefined {
    const { hash, fileHead } = { hash: this.#writtenHash, fileHead: this.#fileHead };
    return hash === undefined || fileHead === undefined || this.#fileLines === 0 ? undefined : { hash, lines: this.#fileLines, fileHead };
  }

  /** The hash of the last line written to the file (not just batched). */
  #writtenHash: string | undefined;

  /** Queues one canonical record (`auditLine()` without its newline); false when refused (reported). */
  append(canonical: string, requestId: string): boolean {
    if (this.#closed) {
      this.#o.onError(new Error(`audit log ${this.#o.path} is closed; the record of request ${requestId} was not written`));
      return false;
    }
    if (this.full()) {
      // Reported once per episode (a log line per refused record would flood the log); the count follows on recovery.
      if (this.#dropped++ === 0) {
        this.#o.onError(
          new Error(`audit log ${this.#o.path}: ${this.#o.maxPendingBytes} bytes wait for the disk; the record of request ${requestId} was not written, nor will later ones be until the disk takes lines`),
        );
      }
      return false;
    }
    this.#pending.push(canonical);
    // Counted with the hash (75 bytes) the line will carry.
    this.#pendingBytes += canonical.length + 76;
    this.#appended++;
    if (!this.#scheduled && !this.#pumping && this.#retryTimer === undefined) {
      // One write per batch: everything appended until the next turn of the event loop.
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
    return true;
  }

  flush(): Promise<void> {
    const upTo = this.#appended;
    if (this.#durable() >= upTo) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject });
      this.#kick();
    });
  }

  /** Closes the file and opens the path again once what is written is synced; see AuditLog.reopen. */
  reopen(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#reopenWanted = true;
      this.#reopenWaiters.push({ upTo: 0, resolve, reject });
      this.#kick();
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
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
      for (const w of this.#reopenWaiters.splice(0)) w.resolve();
      const file = this.#file;
      this.#file = undefined;
      await file?.fh.close().catch((err: unknown) => this.#o.onError(err as Error));
    }
  }

  /** An explicit request does not wait out a retry delay or a sync interval. */
  #kick(): void {
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    void this.#pump();
  }

  readonly #onImmediate = (): void => {
    this.#scheduled = false;
    void this.#pump();
  };

  #durable(): number {
    return this.#o.fsync === "never" ? this.#written : this.#synced;
  }

  #syncWanted(): boolean {
    if (this.#synced >= this.#written || this.#o.fsync === "never") return false;
    return this.#o.fsync === "always" || this.#syncDue || this.#waiters.length > 0;
  }

  /** The only code that touches the file: one write, sync or reopen at a time, in order, until nothing is left. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const write = this.#batch !== undefined || this.#pending.length > 0;
        // While failing with nothing to write, opening the file is the test of whether it can be written again.
        const probe = this.#failing !== undefined && this.#file === undefined;
        if (!write && !this.#reopenWanted && !this.#syncWanted() && !probe) break;
        if (this.#file === undefined) {
          await this.#open();
          this.#reopened();
          if (!write && !this.#syncWanted()) this.#succeeded();
        } else if (this.#reopenWanted) {
          await this.#reopen();
        } else if (write && this.#batch === undefined && Date.now() - this.#checkedAt >= this.#o.rotationCheckMs) {
          await this.#checkRotation();
        }
        const file = this.#file!;
        const fh = file.fh;
        if (!write) {
          if (this.#syncWanted()) await this.#sync(fh);
          continue;
        }
        this.#batch ??= this.#buildBatch();
        if (file.size === 0 && this.#batchOffset === 0) this.#startingFile();
        while (this.#batchOffset < this.#batch.length) {
          const { bytesWritten } = await fh.write(this.#batch, this.#batchOffset, this.#batch.length - this.#batchOffset);
          this.#batchOffset += bytesWritten;
          file.size += bytesWritten;
        }
        this.#fileLines += this.#batchLines;
        this.#writtenHash = this.#batchHash;
        this.#batch = undefined;
        this.#written = this.#batchUpTo;
        if (this.#o.fsync !== "always") this.#succeeded();
        if (this.#o.fsync === "interval") this.#armSync();
        this.#settle();
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
  }

  /** Hashes the pending records onto the chain, in append order, into one buffer. */
  #buildBatch(): Buffer {
    let prev = this.#lastHash!;
    let text = "";
    this.#batchFirst = undefined;
    for (const canonical of this.#pending) {
      const chained = chainAuditLine(prev, canonical);
      this.#batchFirst ??= { prevHash: prev, hash: chained.hash };
      text += chained.line;
      prev = chained.hash;
    }
    this.#batchLines = this.#pending.length;
    this.#batchHash = prev;
    this.#lastHash = prev;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#batchOffset = 0;
    this.#batchUpTo = this.#appended;
    return Buffer.from(text, "utf8");
  }

  #batchLines = 0;
  #batchHash: string | undefined;
  #batchFirst: { prevHash: string; hash: string } | undefined;

  /** The batch's first line goes into an empty file (a new log, after a rotation or a copytruncate): an anchor. */
  #startingFile(): void {
    this.#fileLines = 0;
    if (this.#batchFirst === undefined) return;
    this.#fileHead = this.#batchFirst.hash;
    this.#o.onFileStart?.(this.#batchFirst);
  }

  /** A write, sync or open went through: the file takes lines (again). */
  #succeeded(): void {
    if (this.#failing === undefined) return;
    this.#failing = undefined;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0) this.#o.onError(new Error(`audit log ${this.#o.path}: ${dropped} record(s) were refused while the disk did not take lines`));
    this.#o.onStatus?.({ kind: "writable" });
  }

  async #sync(fh: FileHandle): Promise<void> {
    const upTo = this.#written;
    const head = this.#writtenHead();
    this.#syncDue = false;
    // This sync covers what a pending timer was armed for; the next interval counts from its end.
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    await fh.datasync();
    this.#synced = upTo;
    this.#syncedHead = head ?? this.#syncedHead;
    this.#lastSyncAt = Date.now();
    this.#succeeded();
    if (this.#o.fsync === "interval" && this.#synced < this.#written) this.#armSync();
    this.#settle();
  }

  /** A cheap look (one stat) at whether logrotate moved the file away or truncated it. */
  async #checkRotation(): Promise<void> {
    this.#checkedAt = Date.now();
    const file = this.#file!;
    const seen = await lookForRotation(this.#o.path, file);
    if (seen.moved) {
      await this.#reopen();
    } else if (seen.shrankTo !== undefined) {
      this.#o.onWarning(
        new Error(`audit log ${this.#o.path} shrank from ${file.size} to ${seen.shrankTo} bytes (logrotate copytruncate?); writing on at its new end`),
      );
      file.size = seen.shrankTo;
    }
  }

  /** Syncs what went to the old file (it is the rotated copy now), closes it, opens the path. */
  async #reopen(): Promise<void> {
    const old = this.#file;
    this.#file = undefined;
    if (old !== undefined) {
      try {
        if (this.#o.fsync !== "never" && this.#synced < this.#written) await this.#sync(old.fh);
      } finally {
        await old.fh.close().catch(() => undefined);
      }
    }
    await this.#open();
    this.#reopened();
  }

  #reopened(): void {
    this.#reopenWanted = false;
    for (const w of this.#reopenWaiters.splice(0)) w.resolve();
  }

  async #open(): Promise<void> {
    // While retrying after a failure, the cut line each failed write leaves is removed again and again: said once.
    const report = this.#failing === undefined ? this.#o : { onError: this.#o.onError, onWarning: () => undefined };
    const { file, lastHash, lines, firstHash } = await openAuditAppend(this.#o.path, this.#lastHash, report);
    this.#lastHash = lastHash;
    this.#writtenHash ??= lastHash;
    this.#fileLines = lines;
    this.#fileHead = firstHash;
    this.#checkedAt = Date.now();
    if (this.#batch !== undefined && this.#batchOffset > 0) {
      // Part of a line reached the old handle; write that line again whole (a cut line was removed on open).
      this.#batchOffset = this.#batch.subarray(0, this.#batchOffset).lastIndexOf(0x0a) + 1;
    }
    this.#file = file;
  }

  #armSync(): void {
    if (this.#syncTimer !== undefined || this.#syncDue) return;
    const delay = Math.max(0, this.#lastSyncAt + this.#o.fsyncIntervalMs - Date.now());
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
    if (this.#waiters.length === 0) return;
    const durable = this.#durable();
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.upTo <= durable) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /**
   * Reports the failure (through onError once per episode, to onStatus every time), keeps every record (the
   * batch resumes where it stopped), retries later.
   */
  #fail(err: unknown): void {
    const kept = this.#appended - this.#written;
    const error = Object.assign(
      new Error(`audit log ${this.#o.path}: ${(err as Error)?.message ?? String(err)}; ${kept} record(s) kept in memory and retried`, { cause: err }),
      { code: (err as NodeJS.ErrnoException)?.code },
    );
    if (this.#failing === undefined) this.#o.onError(error);
    this.#failing = error;
    this.#o.onStatus?.({ kind: "failed", error });
    const file = this.#file;
    this.#file = undefined; // reopen on retry: the file may have been removed or its handle broken
    void file?.fh.close().catch(() => undefined);
    for (const w of this.#waiters.splice(0)) w.reject(error);
    for (const w of this.#reopenWaiters.splice(0)) w.reject(error);
    this.#reopenWanted = false;
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#pump();
    }, AUDIT_RETRY_DELAY_MS);
    this.#retryTimer.unref();
  }
}
