/**
 * The `credentials` section of the settings: which store keeps the onboarded locations, and for the
 * PostgreSQL store its connection and the encryption keys of refresh tokens (as secret references only).
 */
import { InvalidConfigError } from "./errors.js";
import { PG_SCHEMA_PATTERN } from "./pg-credential-schema.js";
import { KEY_ID_PATTERN } from "./secret-cipher.js";
import { parseSecretRef } from "./secret-ref.js";
import type { OriginOf, SectionReader } from "./settings-reader.js";

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

/**
 * Reads and checks the `credentials` section. The PostgreSQL backend needs at least one encryption key; key
 * values must be secret references. Messages name the dotted key and the rule, never a URL or a key value.
 * @internal
 */
export function readCredentialsSettings(cr: SectionReader, originOf: OriginOf): CredentialsSettings {
  const fail = (dotted: string, rule: string): never => {
    const origin = originOf(dotted);
    throw new InvalidConfigError({}, `${dotted} ${rule}${origin === undefined ? "" : ` (set by ${origin})`}`);
  };
  const backend = cr.oneOf("backend", DEFAULT_CREDENTIALS_BACKEND, ["file", "postgres"]);
  const path = cr.string("path", DEFAULT_CREDENTIALS_PATH);

  const pg = cr.section("postgres");
  const url = postgresUrl(pg.raw("url"), (rule) => fail("credentials.postgres.url", rule));
  const postgres: PostgresSettings = {
    url,
    schema: pg.string("schema", DEFAULT_POSTGRES_SCHEMA, { pattern: PG_SCHEMA_PATTERN, rule: "must be a lower-case SQL identifier (a-z, 0-9, _; at most 63; not starting with a digit)" }),
    poolMax: pg.int("pool_max", DEFAULT_POSTGRES_POOL_MAX, 1, 1000),
  };
  pg.done();

  const enc = cr.section("encryption");
  const keysIn = enc.section("keys");
  const keys: Record<string, string> = {};
  for (const [id, value] of Object.entries((enc.raw("keys") ?? {}) as Record<string, unknown>)) {
    keysIn.raw(id);
    // Neither a bad id nor a bad value is echoed: either may be key material pasted in the wrong place.
    if (!KEY_ID_PATTERN.test(id)) fail("credentials.encryption.keys", "must be keyed by key ids of 1-64 of A-Z a-z 0-9 . _ - (an id is not valid; it is not shown)");
    const dotted = `credentials.encryption.keys.${id}`;
    if (typeof value !== "string") fail(dotted, 'must be a secret reference, "env:NAME" or "file:PATH"');
    try {
      parseSecretRef(value as string);
    } catch {
      fail(dotted, 'must be a secret reference, "env:NAME" or "file:PATH", naming where the key is; never the key itself (the value is not shown)');
    }
    keys[id] = value as string;
  }
  keysIn.done();
  const ids = Object.keys(keys);
  const named = enc.string("active_key_id", "", { allowEmpty: true });
  enc.done();
  let activeKeyId = named;
  if (named !== "" && !Object.hasOwn(keys, named)) fail("credentials.encryption.active_key_id", `must be one of the ids under credentials.encryption.keys (${ids.join(", ") || "none listed"})`);
  if (named === "" && ids.length === 1) activeKeyId = ids[0] as string;
  if (named === "" && ids.length > 1) fail("credentials.encryption.active_key_id", `must name the key new writes use, one of ${ids.join(", ")}`);
  if (backend === "postgres" && ids.length === 0) {
    fail("credentials.encryption.keys", 'must list at least one key when credentials.backend is postgres, e.g. { k1: "env:PODIUM_ROUTER_KEY_K1" } (32 bytes: openssl rand -base64 32)');
  }
  return { backend, path, postgres, encryption: { keys, activeKeyId } };
}

/** A postgres:// or postgresql:// URL with a host; the value is never echoed (it may carry a password). */
function postgresUrl(value: unknown, fail: (rule: string) => never): string {
  if (value === undefined) return DEFAULT_POSTGRES_URL;
  const rule = "must be a postgres:// or postgresql:// URL like postgres://user@host:5432/database (the value is not shown)";
  if (typeof value !== "string") return fail(rule);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail(rule);
  }
  if ((u.protocol !== "postgres:" && u.protocol !== "postgresql:") || (u.hostname === "" && !u.searchParams.has("host"))) return fail(rule);
  return value;
}
