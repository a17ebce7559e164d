/**
 * The PostgreSQL credential store's tables, created idempotently and versioned for later migrations, and the
 * translation of driver failures into CredentialErrors that name the server (host:port), never the URL.
 * @internal
 */
import type { Pool, PoolClient } from "pg";
import { CredentialError, InternalError, isCoreError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";

/** The schema version this build creates; a database at a newer version is refused, older ones are migrated. */
export const PG_SCHEMA_VERSION = 2;
/** A schema name: a lower-case unquoted SQL identifier, so it needs no escaping anywhere. */
export const PG_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Version 1. One row per location. A refresh token lives in exactly one row, its holder; locations onboarded
 * from the same refresh-token file share one Podium grant, so they point at the first one's row
 * (`refresh_token_holder`) instead of keeping copies that rotation would leave dead.
 */
function v1(schema: string): string[] {
  const t = `${schema}.locations`;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
      location_uid text PRIMARY KEY,
      org_slug text NOT NULL,
      client_id_ref text NOT NULL,
      client_secret_ref text NOT NULL,
      refresh_token_holder text NOT NULL,
      refresh_token_source text,
      refresh_token_ciphertext bytea,
      refresh_token_key_id text,
      refresh_token_version bigint NOT NULL DEFAULT 0,
      state text NOT NULL CHECK (state IN ('active', 'deleted')),
      organization_uid text,
      verified_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      refresh_lock_owner text,
      refresh_lock_expires_at timestamptz,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      CONSTRAINT locations_holder_has_token CHECK ((refresh_token_holder = location_uid) = (refresh_token_ciphertext IS NOT NULL)),
      CONSTRAINT locations_token_has_key CHECK ((refresh_token_ciphertext IS NULL) = (refresh_token_key_id IS NULL))
    )`,
    // One holder per imported file: a second import of the same file shares the first one's token.
    `CREATE UNIQUE INDEX IF NOT EXISTS locations_refresh_token_source ON ${t} (refresh_token_source) WHERE refresh_token_ciphertext IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS locations_refresh_token_holder ON ${t} (refresh_token_holder)`,
    `CREATE INDEX IF NOT EXISTS locations_seq ON ${t} (seq)`,
  ];
}

/**
 * Version 2: anchors and checkpoints of each router's audit log (pg-audit-checkpoints.ts), kept outside the
 * log so whoever can edit the log file cannot also move its ends. `log_id` tells replicas' logs apart; `ts`
 * is kept as the text that was signed.
 */
function v2(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${schema}.audit_checkpoints (
      log_id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      kind text NOT NULL CHECK (kind IN ('anchor', 'checkpoint')),
      ts text NOT NULL,
      prev_hash text,
      first_hash text,
      reason text,
      head_hash text,
      lines bigint,
      file_head text,
      hmac text,
      PRIMARY KEY (log_id, seq)
    )`,
  ];
}

/** `migrations[n]` upgrades a version-n schema to n+1. */
const migrations: Record<number, (schema: string) => string[]> = { 1: v2 };

/**
 * Creates the schema and tables if absent, or migrates them, under a transaction-scoped advisory lock so
 * several replicas starting at once do not race on CREATE. Refuses a schema written by a newer build.
 */
export async function ensurePgSchema(client: PoolClient, schema: string, describe: (err: unknown) => CoreError): Promise<void> {
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`podium-router:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const found = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema}.schema_version`);
    let version = found.rows[0]?.version ?? 0;
    if (version > PG_SCHEMA_VERSION) {
      throw new CredentialError(
        {},
        `PostgreSQL schema ${schema} is at version ${version}, written by a newer podium-router; this version reads up to ${PG_SCHEMA_VERSION}, so upgrade it`,
      );
    }
    if (version === 0) {
      for (const sql of v1(schema)) await client.query(sql);
      version = 1;
      await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES (1)`);
    }
    while (version < PG_SCHEMA_VERSION) {
      const step = migrations[version];
      if (!step) throw new CredentialError({}, `PostgreSQL schema ${schema}: no migration from version ${version}`);
      for (const sql of step(schema)) await client.query(sql);
      version += 1;
      await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [version]);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw isCoreError(err) ? err : describe(err);
  }
}

/** Runs `fn` in a transaction on one pooled connection; rolls back if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {
      broken = true; // the connection itself failed: do not hand it out again
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** `host:port` of a connection URL, for messages: never the user, password or query. */
export function pgEndpointOf(url: string): string {
  try {
    const u = new URL(url);
    const socketHost = u.searchParams.get("host");
    const host = u.hostname === "" ? (socketHost ?? "localhost") : u.hostname;
    return `${host}:${u.port === "" ? "5432" : u.port}`;
  } catch {
    return "the configured server";
  }
}

/** SQLSTATE classes and Node codes that mean "the database cannot be reached or used at all". */
const UNREACHABLE = /^(08|28|3D|57P)|^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/;

/**
 * A driver failure as a CredentialError naming the server and the SQLSTATE or socket code. The driver's own
 * message is kept only as the cause: it may quote SQL values. Core errors are rethrown as they are.
 */
export function describePgError(err: unknown, endpoint: string, what: string): CoreError {
  if (isCoreError(err)) return err; // ours, already saying what to do
  const code = (err as { code?: unknown } | null)?.code;
  // Without a code, the pool's own failures ("timeout exceeded when trying to connect", "Connection terminated").
  const message = typeof code !== "string" && err instanceof Error ? err.message : "";
  const shown = typeof code === "string" ? code : /timeout/i.test(message) ? "connection timeout" : "unknown error";
  if ((typeof code === "string" && UNREACHABLE.test(code)) || /timeout|terminated|connect/i.test(message)) {
    return new CredentialError(
      { cause: err },
      `cannot use the PostgreSQL credential store at ${endpoint} (${shown}) while trying to ${what}; check credentials.postgres.url, the server and its access rules`,
    );
  }
  if (code === "42501") {
    return new CredentialError({ cause: err }, `PostgreSQL at ${endpoint} refused to ${what} (insufficient privilege); grant the router's user access to its schema`);
  }
  if (typeof code !== "string") return new InternalError({ cause: err }, `unexpected failure while trying to ${what} in the PostgreSQL credential store`);
  return new CredentialError({ cause: err }, `PostgreSQL at ${endpoint} failed to ${what} (${code})`);
}
