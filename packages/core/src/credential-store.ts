/**
 * Where the router keeps its onboarded locations: references to their secrets, never the secrets.
 * Implemented by `createFileCredentialStore()` (a JSON file); a Postgres backend can implement the same interface.
 */
import type { LocationState } from "./location-router-api.js";

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
  /** Path of the file holding this location's refresh token (relative paths resolve against the working directory). */
  refreshTokenFile: string;
  state: LocationState;
  /** Podium's organization uid, learned at verification. */
  organizationUid?: string | undefined;
  /** ISO time of the last successful verification. */
  verifiedAt?: string | undefined;
  /** ISO time. */
  createdAt: string;
  /** ISO time; `update()` sets it to now unless the patch names it. */
  updatedAt: string;
}

/** The fields `update()` may change. */
export type LocationRecordPatch = Partial<Omit<LocationRecord, "locationUid">>;

/** Persistent registry of onboarded locations and their refresh tokens. */
export interface CredentialStore {
  /** Every record, in insertion order. */
  list(): Promise<LocationRecord[]>;
  get(locationUid: string): Promise<LocationRecord | undefined>;
  /** Insert if absent; returns false (and changes nothing) if the uid exists. Atomic. */
  insert(record: LocationRecord): Promise<boolean>;
  /**
   * Apply a patch to an existing record atomically; returns the new record; throws UnknownLocationError if absent.
   * A patch key present with the value `undefined` clears an optional field.
   */
  update(locationUid: string, patch: LocationRecordPatch): Promise<LocationRecord>;
  /** Delete the record; false if there was none. */
  remove(locationUid: string): Promise<boolean>;
  /**
   * Read the location's current refresh token (from its refresh-token file).
   * Throws CredentialError naming the file (never the token) if missing/empty/unreadable.
   */
  readRefreshToken(record: LocationRecord): Promise<string>;
  /** Durably store a rotated refresh token BEFORE the caller uses the new access token (atomic write, fsync, 0600). */
  writeRefreshToken(record: LocationRecord, token: string): Promise<void>;
  /** Wait for pending writes and release the store; later calls fail. */
  close(): Promise<void>;
}
