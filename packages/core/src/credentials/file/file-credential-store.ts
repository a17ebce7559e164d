/**
 * The file backend of the credential store: one JSON file of location records (see locations-document.ts)
 * plus one 0600 file per location holding its refresh token.
 */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errorCode } from "./error-code.js";
import { tryFileLock, type FileLock } from "./file-lock.js";
import { LocationsFile } from "./locations-file.js";
import { readRefreshTokenFile, writeRefreshTokenFile } from "./refresh-token-file.js";
import type { CredentialStore, LocationRecord, LocationRecordPatch } from "../credential-store.js";
import { CredentialError, InternalError, InvalidConfigError, UnknownLocationError } from "@podium-router/errors";
import { applyRecordPatch, checkLocationRecord } from "../locations-document.js";

/** Where the locations file lives unless settings say otherwise (`credentials.path`). */
export const DEFAULT_CREDENTIALS_PATH = "state/locations.json";
/** Long enough for a slow disk to finish a rewrite of a large file, short enough to fail visibly. */
const DEFAULT_LOCK_WAIT_MS = 10_000;
/** proper-lockfile's own default (and its minimum is 5000): a crashed holder blocks writers for at most this long. */
const DEFAULT_LOCK_STALE_MS = 10_000;

/** Options of `createFileCredentialStore()`. */
export interface FileCredentialStoreOptions {
  /**
   * Path of the locations file; relative paths resolve against the working directory. Created (0600) on the first write.
   * @default "state/locations.json"
   */
  path?: string | undefined;
  /**
   * Longest wait for the cross-process lock before a write fails with CredentialError.
   * @default 10000
   */
  lockWaitMs?: number | undefined;
  /**
   * A lock its holder has not refreshed for this long is treated as left by a crashed process and taken over (>= 5000).
   * @default 10000
   */
  lockStaleMs?: number | undefined;
  /**
   * Runs between writing the temporary file and renaming it over the locations file; throwing aborts the write.
   * @internal for crash tests
   */
  beforeRename?: ((tmpPath: string) => void | Promise<void>) | undefined;
}

/** Opens the file-backed credential store. Nothing is read until the first call. */
export function createFileCredentialStore(options: FileCredentialStoreOptions | string = {}): CredentialStore {
  return new FileCredentialStore(withDefaults(typeof options === "string" ? { path: options } : options));
}

type Resolved = Required<Omit<FileCredentialStoreOptions, "beforeRename">> & Pick<FileCredentialStoreOptions, "beforeRename">;

function withDefaults(options: FileCredentialStoreOptions): Resolved {
  const path = options.path ?? DEFAULT_CREDENTIALS_PATH;
  if (typeof path !== "string" || path.trim() === "") throw new InvalidConfigError({}, "credentials.path must be a non-empty file path");
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  if (!Number.isFinite(lockWaitMs) || lockWaitMs < 0) throw new InvalidConfigError({}, "lockWaitMs must be a number >= 0");
  const lockStaleMs = options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  if (!Number.isInteger(lockStaleMs) || lockStaleMs < 5000) throw new InvalidConfigError({}, "lockStaleMs must be an integer >= 5000");
  return { path: resolve(path), lockWaitMs, lockStaleMs, beforeRename: options.beforeRename };
}

/** A read-modify-write step: the next records (absent: unchanged) and what the caller gets back. */
type Change<T> = (records: Map<string, LocationRecord>) => { result: T; next?: Map<string, LocationRecord> };

interface PendingChange {
  change: Change<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

class FileCredentialStore implements CredentialStore {
  readonly #options: Resolved;
  readonly #file: LocationsFile;
  /** Changes waiting for the next commit (see #mutate). */
  #pending: PendingChange[] = [];
  #committing = false;
  /** The running commit loop, so close() can wait for it; this instance never contends with itself for the file lock. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: Resolved) {
    this.#options = options;
    this.#file = new LocationsFile(options.path, options.beforeRename);
  }

  async list(): Promise<LocationRecord[]> {
    this.#assertOpen();
    const records = await this.#file.read(false);
    return [...records.values()].map((r) => ({ ...r }));
  }

  async get(locationUid: string): Promise<LocationRecord | undefined> {
    this.#assertOpen();
    const record = (await this.#file.read(false)).get(locationUid);
    return record && { ...record };
  }

  async insert(record: LocationRecord): Promise<boolean> {
    const checked = checkLocationRecord(record);
    return this.#mutate((records) => {
      if (records.has(checked.locationUid)) return { result: false };
      return { result: true, next: new Map(records).set(checked.locationUid, checked) };
    });
  }

  async update(locationUid: string, patch: LocationRecordPatch): Promise<LocationRecord> {
    return this.#mutate((records) => {
      const current = records.get(locationUid);
      if (!current) throw new UnknownLocationError({ locationUid });
      const next = applyRecordPatch(current, patch);
      return { result: { ...next }, next: new Map(records).set(locationUid, next) };
    });
  }

  async replace(record: LocationRecord): Promise<LocationRecord> {
    const checked = checkLocationRecord(record);
    return this.#mutate((records) => {
      if (!records.has(checked.locationUid)) throw new UnknownLocationError({ locationUid: checked.locationUid });
      return { result: { ...checked }, next: new Map(records).set(checked.locationUid, checked) };
    });
  }

  async remove(locationUid: string): Promise<boolean> {
    return this.#mutate((records) => {
      if (!records.has(locationUid)) return { result: false };
      const next = new Map(records);
      next.delete(locationUid);
      return { result: true, next };
    });
  }

  async readRefreshToken(record: LocationRecord): Promise<string> {
    this.#assertOpen();
    return readRefreshTokenFile(record);
  }

  async writeRefreshToken(record: LocationRecord, token: string): Promise<void> {
    this.#assertOpen();
    return writeRefreshTokenFile(record, token);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    this.#file.forget();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InternalError({}, `credential store ${this.#options.path} is closed`);
  }

  /**
   * Read-modify-write under the cross-process lock, with group commit: changes that arrive while a write is in
   * progress are applied together, in arrival order, and written as ONE atomic rewrite under one lock. Each
   * change still sees the effect of the ones before it and gets its own result (or its own error, in which case
   * only it is left out); none resolves before the write that contains it is durable. Onboarding 1,000
   * locations at concurrency 8 spent most of its time rewriting the whole file once per insert.
   * `change` must not mutate its argument (it is the cache).
   */
  #mutate<T>(change: Change<T>): Promise<T> {
    this.#assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ change, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1 && !this.#committing) this.#queue = this.#drain();
    });
  }

  /** Commits batches until no change is waiting; one runs at a time per instance (the lock orders processes). */
  async #drain(): Promise<void> {
    this.#committing = true;
    try {
      while (this.#pending.length > 0) await this.#commit(this.#pending.splice(0));
    } finally {
      this.#committing = false;
    }
  }

  async #commit(batch: PendingChange[]): Promise<void> {
    const { path } = this.#options;
    const outcomes: Array<{ ok: true; result: unknown } | { ok: false; error: unknown }> = [];
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const lock = await this.#lock();
      try {
        const before = await this.#file.read(true);
        let records = before;
        for (const p of batch) {
          try {
            const { result, next } = p.change(records);
            if (next) records = next;
            outcomes.push({ ok: true, result });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        if (records !== before) await this.#file.write(records, lock);
      } finally {
        await lock.release();
      }
    } catch (err) {
      // The lock, the read or the write failed: nothing of this batch is on disk, so no change succeeded.
      batch.forEach((p, i) => {
        const own = outcomes[i];
        p.reject(own && !own.ok ? own.error : err);
      });
      return;
    }
    batch.forEach((p, i) => {
      const own = outcomes[i] as (typeof outcomes)[number];
      if (own.ok) p.resolve(own.result);
      else p.reject(own.error);
    });
  }

  /**
   * Takes `<path>.lock` (a directory, so it works across processes and on network file systems), waiting up to
   * lockWaitMs. A lock left by a crashed process on this host is taken over at once (file-lock.ts).
   */
  async #lock(): Promise<FileLock> {
    const { path, lockWaitMs, lockStaleMs } = this.#options;
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      let lock: FileLock | undefined;
      try {
        lock = await tryFileLock(path, lockStaleMs);
      } catch (err) {
        throw new CredentialError({ cause: err }, `cannot lock ${path} (${errorCode(err)})`);
      }
      if (lock) return lock;
      if (Date.now() >= deadline) {
        throw new CredentialError({}, `${path} stayed locked by another podium-router process for ${lockWaitMs} ms; retry (a lock left by a process that died on another host expires after ${lockStaleMs} ms)`);
      }
      // Jittered short waits: writers hold the lock for milliseconds, and jitter keeps them from retrying in step.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 25));
    }
  }
}
