/**
 * Refresh coordination between router processes sharing one credential store (PostgreSQL): one refresh of a
 * location at a time (a lock with an owner), each starting from the token the previous one stored, and a
 * version check on the write so a holder whose lock expired cannot overwrite a newer token.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { CredentialStore, LocationRecord } from "./credential-store.js";
import { isCoreError } from "@podium-router/errors";

/**
 * How long one process may hold a location's refresh lock: a token request takes at most the upstream
 * headers+body timeouts (15 s each by default), so 30 s covers a slow refresh; a crashed holder blocks the
 * others for at most this long, and one that overruns it is fenced out by the version check.
 */
export const DEFAULT_REFRESH_LOCK_TTL_MS = 30_000;

/** What `createLocationAuth({ coordination })` uses to refresh safely alongside other processes. */
export interface RefreshCoordination {
  /** Runs `fn` holding the location's refresh lock; waits while another process holds it. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** The stored refresh token and its version (undefined for a store without versions); call under the lock. */
  read(): Promise<{ token: string; version?: number | undefined }>;
  /**
   * Stores a rotated token; with a version, only if the stored one is still at it (else RefreshTokenConflictError).
   */
  write(token: string, expectedVersion: number | undefined): Promise<void>;
}

/** Options of `refreshCoordinationFor()`. */
export interface RefreshCoordinationOptions {
  /** Longest a refresh may hold the lock before others may take it. @default 30000 */
  lockTtlMs?: number | undefined;
  /** Names this process in the lock's owner token (shown to operators inspecting the table). @default `<hostname>:<pid>` */
  ownerPrefix?: string | undefined;
}

/**
 * The coordination for one location if the store has a refresh lock (`withRefreshLock`), else undefined: a store
 * only one process uses (the plain file store) needs none. With `readRefreshTokenVersioned` too (PostgreSQL),
 * writes are version-checked; without it (e.g. a file store given a Redis lock) the lock alone serialises.
 * Each lock acquisition gets a fresh owner token, so a release can only ever clear its own acquisition. Safe to
 * use before the record is stored (onboarding): until then the refresh runs unlocked.
 */
export function refreshCoordinationFor(
  store: CredentialStore,
  record: LocationRecord,
  options: RefreshCoordinationOptions = {},
): RefreshCoordination | undefined {
  if (store.withRefreshLock === undefined) return undefined;
  const lockable = store as Required<Pick<CredentialStore, "withRefreshLock">> & CredentialStore;
  const ttlMs = options.lockTtlMs ?? DEFAULT_REFRESH_LOCK_TTL_MS;
  const prefix = options.ownerPrefix ?? `${hostname()}:${process.pid}`;
  return {
    withLock: async (fn) => {
      let started = false;
      try {
        return await lockable.withRefreshLock(record.locationUid, `${prefix}:${randomUUID()}`, ttlMs, () => {
          started = true;
          return fn();
        });
      } catch (err) {
        // Not stored yet (onboarding gets its first token before it inserts the record): no other process knows
        // the location, so there is nobody to coordinate with.
        if (started || !(isCoreError(err) && err.code === "ERR_LOC_UNKNOWN")) throw err;
        return fn();
      }
    },
    read: async () => (store.readRefreshTokenVersioned !== undefined ? store.readRefreshTokenVersioned(record) : { token: await store.readRefreshToken(record) }),
    write: (token, expectedVersion) => (expectedVersion === undefined ? store.writeRefreshToken(record, token) : store.writeRefreshToken(record, token, expectedVersion)),
  };
}
