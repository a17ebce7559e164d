/**
 * The PostgreSQL tables of the event hub, in the credential store's schema (`credentials.postgres.schema`) but
 * created and versioned on their own (`event_schema_version`), so the credential store's migrations and these
 * never wait on each other. Created idempotently under an advisory lock, so replicas starting together do not race.
 */
import type { Pool } from "pg";
import { createRequire } from "node:module";
import { EventStoreUnavailableError } from "@podium-router/errors";
import { pgEndpointOf } from "../../credentials/index.js";

export const PG_EVENTS_SCHEMA_VERSION = 1;

function v1(s: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.events (
      location_uid text NOT NULL,
      seq bigint NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      received_at bigint NOT NULL,
      subscription_id text NOT NULL,
      request_hash text NOT NULL,
      body text NOT NULL,
      PRIMARY KEY (location_uid, seq)
    )`,
    `CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON ${s}.events (location_uid, event_id)`,
    `CREATE INDEX IF NOT EXISTS events_received_at ON ${s}.events (received_at)`,
    // One row per location: its lock orders appends, so sequence numbers are gap-free and commit in order.
    `CREATE TABLE IF NOT EXISTS ${s}.event_heads (
      location_uid text PRIMARY KEY,
      last_seq bigint NOT NULL DEFAULT 0,
      pruned_through bigint NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.event_forwarders (
      location_uid text PRIMARY KEY,
      delivered_seq bigint NOT NULL DEFAULT 0,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at bigint,
      last_status integer,
      last_error text,
      dead_letters bigint NOT NULL DEFAULT 0,
      last_dead_seq bigint,
      lease_owner text,
      lease_expires_at timestamptz
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.webhook_subscriptions (
      subscription_id text PRIMARY KEY,
      scope text NOT NULL CHECK (scope IN ('location', 'organization')),
      location_uid text NOT NULL,
      org_slug text NOT NULL,
      organization_uid text,
      podium_webhook_uid text,
      secret_ciphertext bytea NOT NULL,
      secret_key_id text NOT NULL,
      created_at text NOT NULL,
      updated_at text NOT NULL
    )`,
  ];
}

/** Where the event tables live. */
export interface PgEventsOptions {
  url: string;
  schema: string;
  poolMax: number;
}

/** A pool on the events database; pg is loaded on first use, so routers without it never pay its import. */
export function openPgPool(options: PgEventsOptions): Pool {
  const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax, connectionTimeoutMillis: 5_000 });
  // An idle connection the server dropped emits here; unhandled it would crash the process.
  pool.on("error", () => undefined);
  return pool;
}

/** Creates or checks the tables; throws EventStoreUnavailableError naming the server (never the URL). */
export async function ensurePgEventsSchema(pool: Pool, options: PgEventsOptions): Promise<void> {
  const { schema } = options;
  const client = await pool.connect().catch((err: unknown) => {
    throw unavailable(err, options, "connect");
  });
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`podium-router-events:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.event_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const found = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema}.event_schema_version`);
    const version = found.rows[0]?.version ?? 0;
    if (version > PG_EVENTS_SCHEMA_VERSION) throw new EventStoreUnavailableError({}, `the event tables in schema ${schema} are at version ${version}, written by a newer podium-router; upgrade this one`);
    if (version === 0) {
      for (const sql of v1(schema)) await client.query(sql);
      await client.query(`INSERT INTO ${schema}.event_schema_version (version) VALUES (1)`);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err instanceof EventStoreUnavailableError ? err : unavailable(err, options, "create the event tables");
  } finally {
    client.release();
  }
}

/** A driver failure as EventStoreUnavailableError naming host:port and the SQLSTATE or socket code. */
export function unavailable(err: unknown, options: Pick<PgEventsOptions, "url">, what: string): EventStoreUnavailableError {
  if (err instanceof EventStoreUnavailableError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const shown = typeof code === "string" ? code : /timeout/i.test((err as Error | null)?.message ?? "") ? "connection timeout" : "error";
  return new EventStoreUnavailableError({ cause: err }, `PostgreSQL at ${pgEndpointOf(options.url)} failed to ${what} (${shown})`);
}
