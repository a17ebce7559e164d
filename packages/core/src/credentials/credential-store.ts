/**
 * Where the router keeps its onboarded locations: references to their secrets, never the secrets.
 * Implemented by `createFileCredentialStore()` (a JSON file plus one refresh-token file per location) and
 * `createPgCredentialStore()` (PostgreSQL, refresh tokens encrypted in the database, shared by replicas).
 */
export type LocationState = "active" | "deleted";


/** One onboarded location. References to secrets only, never the secrets. */
export interface LocationRecord {
  /** Podium's location uid; the key of the store. */
  locationUid: string;
  /** The operator's name for the organization, written to audit lines. */
  orgSlug: string;
  /** Where the OAuth client id lives: `"env:NAME"` or `"file:PATH"`. */
  clientIdRef: string;
  /** Where the OAuth client secret lives: `"env:NAME"` or `"file:PATH"`. */
  clientSecretRef: string;
  /**
   * Path of the file holding this location's refresh token (relative paths resolve against the working directory).
   * The PostgreSQL store keeps tokens in the database and returns an opaque `pg:<location_uid>` marker here.
   */
  refreshTokenFile: string;
  state: LocationState;
  /** Podium's organization uid, learned at verification. */
  organizationUid?: string | undefined;
  /** Podium's name of the location (what operators know it by), learned at verification. */
  name?: string | undefined;
  /** ISO time of the last successful verification. */
  verifiedAt?: string | undefined;
  /** ISO time. */
  createdAt: string;
  /** ISO time; `update()` sets it to now unless the patch names it. */
  updatedAt: string;
}

/** The fields `update()` may change. */
export type LocationRecordPatch = Partial<Omit<LocationRecord, "locationUid">>;

/** Options of `CredentialStore.insert()`. */
export interface InsertOptions {
  /**
   * The location's refresh token, for stores that keep tokens themselves (PostgreSQL). Without it such a store
   * imports the token from `record.refreshTokenFile`. The file store ignores it and uses the file.
   */
  refreshToken?: string | undefined;
}

/** A refresh token and the version it was stored at, for a version-checked write. */
export interface VersionedRefreshToken {
  token: string;
  /** Grows by one with every write of the token. */
  version: number;
}

/**
 * Persistent registry of onboarded locations and their refresh tokens.
 *
 * Stores shared by several router processes (PostgreSQL) also implement the optional `withRefreshLock` and
 * `readRefreshTokenVersioned`. When they are present, a refresh must take the lock, re-read the token under it
 * (another process may have rotated it while this one waited), and write the rotated token with the version it
 * read; `refreshCoordinationFor()` packages that for `createLocationAuth({ coordination })`.
 */
export interface CredentialStore {
  /** Every record, in insertion order. */
  list(): Promise<LocationRecord[]>;
  get(locationUid: string): Promise<LocationRecord | undefined>;
  /** Insert if absent; returns false (and changes nothing) if the uid exists. Atomic. */
  insert(record: LocationRecord, options?: InsertOptions): Promise<boolean>;
  /**
   * Apply a patch to an existing record atomically; returns the new record; throws UnknownLocationError if absent.
   * A patch key present with the value `undefined` clears an optional field.
   */
  update(locationUid: string, patch: LocationRecordPatch): Promise<LocationRecord>;
  /** Delete the record; false if there was none. */
  remove(locationUid: string): Promise<boolean>;
  /**
   * Replace an existing record's credentials and fields in one atomic write (a repair: the new credentials were
   * verified first), returning the stored record; throws UnknownLocationError if absent. Stores that keep tokens
   * themselves (PostgreSQL) store `options.refreshToken` as the location's own token, no longer shared with other
   * locations (they keep the old one); the file store points the record at `record.refreshTokenFile`.
   */
  replace(record: LocationRecord, options?: InsertOptions): Promise<LocationRecord>;
  /**
   * Read the location's current refresh token (from its refresh-token file).
   * Throws CredentialError naming the file (never the token) if missing/empty/unreadable.
   */
  readRefreshToken(record: LocationRecord): Promise<string>;
  /**
   * Durably store a rotated refresh token BEFORE the caller uses the new access token (atomic write, fsync, 0600).
   * With `expectedVersion` (stores with `readRefreshTokenVersioned`), the write happens only if the stored token is
   * still at that version; otherwise it throws RefreshTokenConflictError and changes nothing. The file store ignores it.
   */
  writeRefreshToken(record: LocationRecord, token: string, expectedVersion?: number): Promise<void>;
  /** Optional: the current refresh token with its version (see `writeRefreshToken`'s `expectedVersion`). */
  readRefreshTokenVersioned?(record: LocationRecord): Promise<VersionedRefreshToken>;
  /**
   * Optional: runs `fn` while holding the location's refresh lock, so one process at a time refreshes it.
   * The lock is held by `owner` (unique per acquisition) for at most `ttlMs`; a holder that overruns it is
   * fenced out by the version check of `writeRefreshToken`. Waits while another owner holds it.
   */
  withRefreshLock?<T>(locationUid: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Wait for pending writes and release the store; later calls fail. */
  close(): Promise<void>;
}
