import type { FileHandle } from "node:fs/promises";
import { AuditLineQueue, type AuditBatch } from "./audit-line-queue.js";
import { lookForRotation, openAuditAppend, type AppendFile } from "./audit-rotation.js";
import { AuditSyncTimer } from "./audit-sync-timer.js";
import { AuditWaiters } from "./audit-waiters.js";
import { AuditWriteHealth } from "./audit-write-health.js";
import type { AuditHead, AuditWriterOptions } from "./audit-writer-options.js";

export { AUDIT_RETRY_DELAY_MS } from "./audit-write-health.js";
export type { AuditFsyncPolicy, AuditHead, AuditWriterEvent, AuditWriterOptions } from "./audit-writer-options.js";

/**
 * The file side of the audit log: writes and syncs the batches its AuditLineQueue chains, and follows the path
 * when logrotate moves the file away (`create`) or truncates it (`copytruncate`).
 * @internal
 */
export class AuditWriter {
  readonly #o: AuditWriterOptions;
  /** Records appended and not yet written: pending, and the batch being written. */
  readonly #queue = new AuditLineQueue();
  /** Records appended / written / synced, counted; a flush waits for its count. */
  #appended = 0;
  #written = 0;
  #synced = 0;
  /** The open file: its handle, identity and our idea of its size, to notice a rotation. */
  #file: AppendFile | undefined;
  #checkedAt = 0;
  #reopenWanted = false;
  readonly #reopenWaiters = new AuditWaiters();
  #pumping = false;
  #scheduled = false;
  readonly #syncTimer: AuditSyncTimer;
  /** flush() callers, each waiting for the records appended before it to be durable. */
  readonly #waiters = new AuditWaiters();
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #health: AuditWriteHealth;
  /** Complete lines in the open file (counted when it was opened) and the hash of its first line. */
  #fileLines = 0;
  #fileHead: string | undefined;

  constructor(options: AuditWriterOptions) {
    this.#o = options;
    this.#health = new AuditWriteHealth(options);
    this.#syncTimer = new AuditSyncTimer(options.fsyncIntervalMs, () => void this.#pump());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** False from a failed write, sync or open until the next success. */
  get writable(): boolean {
    return this.#health.failing === undefined;
  }

  /** Why the file cannot be written, while it cannot. */
  get failure(): Error | undefined {
    return this.#health.failing;
  }

  /** Bytes of records appended and not yet written. */
  get pendingBytes(): number {
    return this.#queue.unwritten;
  }

  /** True when another record of `bytes` would be refused (the buffer bound). */
  full(bytes = 0): boolean {
    return this.#queue.held + bytes >= this.#o.maxPendingBytes;
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
      this.#health.refused(requestId);
      return false;
    }
    this.#queue.push(canonical);
    this.#appended++;
    if (!this.#scheduled && !this.#pumping && !this.#health.retrying) {
      // One write per batch: everything appended until the next turn of the event loop.
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
    return true;
  }

  flush(): Promise<void> {
    const upTo = this.#appended;
    if (this.#durable() >= upTo) return Promise.resolve();
    const flushed = this.#waiters.wait(upTo);
    this.#kick();
    return flushed;
  }

  /** Closes the file and opens the path again once what is written is synced; see AuditLog.reopen. */
  reopen(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#reopenWanted = true;
    const reopened = this.#reopenWaiters.wait();
    this.#kick();
    return reopened;
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
      this.#syncTimer.stop();
      this.#health.cancelRetry();
      this.#reopenWaiters.resolveAll();
      const file = this.#file;
      this.#file = undefined;
      await file?.fh.close().catch((err: unknown) => this.#o.onError(err as Error));
    }
  }

  /** An explicit request does not wait out a retry delay or a sync interval. */
  #kick(): void {
    this.#health.cancelRetry();
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
    return this.#o.fsync === "always" || this.#syncTimer.due || this.#waiters.size > 0;
  }

  /** The only code that touches the file: one write, sync or reopen at a time, in order, until nothing is left. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const write = this.#queue.waiting;
        // While failing with nothing to write, opening the file is the test of whether it can be written again.
        const probe = this.#health.failing !== undefined && this.#file === undefined;
        if (!write && !this.#reopenWanted && !this.#syncWanted() && !probe) break;
        if (this.#file === undefined) {
          await this.#open();
          this.#reopened();
          if (!write && !this.#syncWanted()) this.#health.succeeded();
        } else if (this.#reopenWanted) {
          await this.#reopen();
        } else if (write && !this.#queue.writing && Date.now() - this.#checkedAt >= this.#o.rotationCheckMs) {
          await this.#checkRotation();
        }
        const file = this.#file!;
        const fh = file.fh;
        if (!write) {
          if (this.#syncWanted()) await this.#sync(fh);
          continue;
        }
        const batch = this.#queue.batch(this.#appended);
        if (file.size === 0 && batch.offset === 0) this.#startingFile(batch);
        while (batch.offset < batch.bytes.length) {
          const { bytesWritten } = await fh.write(batch.bytes, batch.offset, batch.bytes.length - batch.offset);
          batch.offset += bytesWritten;
          file.size += bytesWritten;
        }
        this.#fileLines += batch.lines;
        this.#writtenHash = batch.hash;
        this.#queue.written();
        this.#written = batch.upTo;
        if (this.#o.fsync !== "always") this.#health.succeeded();
        if (this.#o.fsync === "interval") this.#syncTimer.arm();
        this.#waiters.settle(this.#durable());
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
  }

  /** The batch's first line goes into an empty file (a new log, after a rotation or a copytruncate): an anchor. */
  #startingFile(batch: AuditBatch): void {
    this.#fileLines = 0;
    if (batch.first === undefined) return;
    this.#fileHead = batch.first.hash;
    this.#o.onFileStart?.(batch.first);
  }

  async #sync(fh: FileHandle): Promise<void> {
    const upTo = this.#written;
    const head = this.#writtenHead();
    // This sync covers what a pending timer was armed for; the next interval counts from its end.
    this.#syncTimer.syncing();
    await fh.datasync();
    this.#synced = upTo;
    this.#syncedHead = head ?? this.#syncedHead;
    this.#syncTimer.synced();
    this.#health.succeeded();
    if (this.#o.fsync === "interval" && this.#synced < this.#written) this.#syncTimer.arm();
    this.#waiters.settle(this.#durable());
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
    this.#reopenWaiters.resolveAll();
  }

  async #open(): Promise<void> {
    // While retrying after a failure, the cut line each failed write leaves is removed again and again: said once.
    const report = this.#health.failing === undefined ? this.#o : { onError: this.#o.onError, onWarning: () => undefined };
    const { file, lastHash, lines, firstHash } = await openAuditAppend(this.#o.path, this.#queue.lastHash, report);
    this.#queue.lastHash = lastHash;
    this.#writtenHash ??= lastHash;
    this.#fileLines = lines;
    this.#fileHead = firstHash;
    this.#checkedAt = Date.now();
    this.#queue.rewindToLineStart();
    this.#file = file;
  }

  /**
   * Reports the failure (through onError once per episode, to onStatus every time), keeps every record (the
   * batch resumes where it stopped), retries later.
   */
  #fail(err: unknown): void {
    const error = this.#health.failed(err, this.#appended - this.#written);
    const file = this.#file;
    this.#file = undefined; // reopen on retry: the file may have been removed or its handle broken
    void file?.fh.close().catch(() => undefined);
    this.#waiters.rejectAll(error);
    this.#reopenWaiters.rejectAll(error);
    this.#reopenWanted = false;
    if (!this.#closed) this.#health.retryLater(() => void this.#pump());
  }
}
