/**
 * The PostgreSQL home of the audit log's anchors and checkpoints (see audit/audit-checkpoints.ts), used when
 * `credentials.backend` is postgres: in the credential store's schema (table `audit_checkpoints`, created by
 * its migrations), over a small pool of its own, one row per anchor and the last checkpoint per log.
 */
import { createRequire } from "node:module";
import type { Pool, PoolClient } from "pg";
import { parseSeal, type AuditAnchor, type AuditCheckpoint, type AuditCheckpointStore, type AuditSeal, type AuditSeals } from "../../audit/index.js";
import { InvalidConfigError } from "@podium-router/errors";
import { describePgError, ensurePgSchema, inTransaction, PG_SCHEMA_PATTERN, pgEndpointOf } from "./pg-credential-schema.js";

/** Options of `createPgAuditCheckpointStore()`. */
export interface PgAuditCheckpointOptions {
  /** The credential store's connection URL (never shown; host:port is). */
  url: string;
  /** The credential store's schema. */
  schema: string;
  /** Which log the records belong to (replicas sharing the database each have their own). */
  logId: string;
}

interface SealRow {
  kind: string;
  ts: string;
  prev_hash: string | null;
  first_hash: string | null;
  reason: string | null;
  head_hash: string | null;
  lines: string | null;
  file_head: string | null;
  hmac: string | null;
}

/** Opens the store; nothing connects until the first record is written or read. */
export function createPgAuditCheckpointStore(options: PgAuditCheckpointOptions): AuditCheckpointStore {
  const { url, schema, logId } = options;
  if (!PG_SCHEMA_PATTERN.test(schema)) throw new InvalidConfigError({}, "credentials.postgres.schema must be a lower-case SQL identifier");
  const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
  // Two connections: checkpoints are written once a minute and anchors once per log file.
  const pool: Pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on("error", () => undefined);
  const endpoint = pgEndpointOf(url);
  const table = `${schema}.audit_checkpoints`;
  let ready: Promise<void> | undefined;
  let closed = false;
  const ensure = (): Promise<void> =>
    (ready ??= (async () => {
      const client: PoolClient = await pool.connect();
      try {
        await ensurePgSchema(client, schema, (err) => describePgError(err, endpoint, `create schema ${schema}`));
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      ready = undefined;
      throw describePgError(err, endpoint, "open the audit checkpoint table");
    }));
  const insert = (client: PoolClient, s: AuditSeal): Promise<unknown> =>
    s.kind === "anchor"
      ? client.query(`INSERT INTO ${table} (log_id, kind, ts, prev_hash, first_hash, reason, hmac) VALUES ($1, 'anchor', $2, $3, $4, $5, $6)`, [logId, s.ts, s.prev_hash, s.first_hash, s.reason, s.hmac ?? null])
      : client.query(`INSERT INTO ${table} (log_id, kind, ts, head_hash, lines, file_head, hmac) VALUES ($1, 'checkpoint', $2, $3, $4, $5, $6)`, [logId, s.ts, s.head_hash, s.lines, s.file_head, s.hmac ?? null]);
  return {
    where: `PostgreSQL ${endpoint} ${table} (log_id ${JSON.stringify(logId.slice(0, 80))})`,
    async add(seal) {
      await ensure();
      try {
        await inTransaction(pool, async (client) => {
          // One checkpoint per log: the newest replaces the one before.
          if (seal.kind === "checkpoint") await client.query(`DELETE FROM ${table} WHERE log_id = $1 AND kind = 'checkpoint'`, [logId]);
          await insert(client, seal);
        });
      } catch (err) {
        throw describePgError(err, endpoint, "record an audit checkpoint");
      }
    },
    async read(): Promise<AuditSeals> {
      await ensure();
      let rows: SealRow[];
      try {
        rows = (await pool.query<SealRow>(`SELECT kind, ts, prev_hash, first_hash, reason, head_hash, lines::text AS lines, file_head, hmac FROM ${table} WHERE log_id = $1 ORDER BY seq`, [logId])).rows;
      } catch (err) {
        throw describePgError(err, endpoint, "read the audit checkpoints");
      }
      const anchors: AuditAnchor[] = [];
      let checkpoint: AuditCheckpoint | undefined;
      for (const r of rows) {
        const seal = parseSeal({ ...r, lines: r.lines === null ? null : Number(r.lines), hmac: r.hmac ?? undefined });
        if (seal?.kind === "anchor") anchors.push(seal);
        else if (seal?.kind === "checkpoint") checkpoint = seal;
      }
      return { anchors, checkpoint };
    },
    async close() {
      if (closed) return;
      closed = true;
      await ready?.catch(() => undefined);
      await pool.end();
    },
  };
}
