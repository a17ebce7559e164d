/**
 * The `credentials` section of the settings: which store keeps the onboarded locations, and for the
 * PostgreSQL store its connection and the encryption keys of refresh tokens (as secret references only).
 */

/** Where location credentials are stored. */
export type CredentialBackend = "file" | "postgres";

/** A local file needs no other service. */
export const DEFAULT_CREDENTIALS_BACKEND: CredentialBackend = "file";
/** Under the git-ignored state/ folder. */
export const DEFAULT_CREDENTIALS_PATH = "state/locations.json";
/** The local test database of this project's machines; production sets its own. */
export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
/** Keeps the router's tables apart from anything else in the database. */
export const DEFAULT_POSTGRES_SCHEMA = "podium_router";
/** 10 connections per process: the store is used at start-up, on refreshes and onboarding, never per call. */
export const DEFAULT_POSTGRES_POOL_MAX = 10;

/** `credentials.postgres`. */
export interface PostgresSettings {
  /** `postgres://user@host:port/db`; a password is better given by PGPASSWORD than written here. @default "postgres://postgres@127.0.0.1:5432/test" */
  url: string;
  /** Schema of the router's tables, created if absent. @default "podium_router" */
  schema: string;
  /** Connections per router process. @default 10 */
  poolMax: number;
}

/** `credentials.encryption`: keys of refresh tokens at rest (PostgreSQL store). */
export interface EncryptionSettings {
  /**
   * Key id → `"env:NAME"` or `"file:PATH"` holding a 32-byte key (64 hex digits or base64), never the key itself.
   * Keep an old id listed until `reencrypt` has moved every row to the active key. @default {}
   */
  keys: Record<string, string>;
  /** The key id new writes use; may be left empty when exactly one key is listed. @default "" (none) */
  activeKeyId: string;
}

/** `credentials`. */
export interface CredentialsSettings {
  /** @default "file" */
  backend: CredentialBackend;
  /** The credential file for the file backend. @default "state/locations.json" */
  path: string;
  postgres: PostgresSettings;
  encryption: EncryptionSettings;
}
