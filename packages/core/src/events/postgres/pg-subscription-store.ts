/**
 * Subscriptions for the PostgreSQL credential backend: one row per subscription, its secret AES-256-GCM
 * encrypted with the credential store's keys (`credentials.encryption`), bound to `webhook:<subscription id>` as
 * associated data so a ciphertext moved to another row (or a refresh token's) never decrypts.
 */
import type { Pool, QueryResultRow } from "pg";
import type { SecretCipher } from "../../credentials/index.js";
import type { SubscriptionStore, SubscriptionWithSecret, WebhookSubscription } from "../subscriptions/subscription-store.js";
import { ensurePgEventsSchema, openPgPool, unavailable, type PgEventsOptions } from "./pg-events-schema.js";

interface Row {
  subscription_id: string;
  scope: "location" | "organization";
  location_uid: string;
  org_slug: string;
  organization_uid: string | null;
  podium_webhook_uid: string | null;
  secret_ciphertext: Buffer;
  secret_key_id: string;
  created_at: string;
  updated_at: string;
}

const owner = (id: string): string => `webhook:${id}`;

/** Opens the PostgreSQL subscription store (tables created or checked first). */
export async function createPgSubscriptionStore(options: PgEventsOptions, cipher: SecretCipher): Promise<SubscriptionStore> {
  const pool: Pool = openPgPool({ ...options, poolMax: Math.min(options.poolMax, 2) });
  try {
    await ensurePgEventsSchema(pool, options);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const t = `${options.schema}.webhook_subscriptions`;
  const query = async <R extends object>(what: string, sql: string, params: unknown[] = []): Promise<{ rows: R[]; rowCount: number | null }> => {
    try {
      return await pool.query<R & QueryResultRow>(sql, params);
    } catch (err) {
      throw unavailable(err, options, what);
    }
  };
  const toSubscription = (r: Row): WebhookSubscription => ({
    subscriptionId: r.subscription_id,
    scope: r.scope,
    locationUid: r.location_uid,
    orgSlug: r.org_slug,
    organizationUid: r.organization_uid ?? undefined,
    podiumWebhookUid: r.podium_webhook_uid ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
  return {
    async list() {
      return (await query<Row>("list webhook subscriptions", `SELECT * FROM ${t} ORDER BY created_at, subscription_id`)).rows.map(toSubscription);
    },
    async get(id): Promise<SubscriptionWithSecret | undefined> {
      const row = (await query<Row>("read a webhook subscription", `SELECT * FROM ${t} WHERE subscription_id = $1`, [id])).rows[0];
      if (row === undefined) return undefined;
      return { subscription: toSubscription(row), secret: cipher.decrypt(row.secret_ciphertext, row.secret_key_id, owner(id)) };
    },
    async put(s, secret) {
      const enc = cipher.encrypt(secret, owner(s.subscriptionId));
      await query(
        "store a webhook subscription",
        `INSERT INTO ${t} (subscription_id, scope, location_uid, org_slug, organization_uid, podium_webhook_uid, secret_ciphertext, secret_key_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (subscription_id) DO UPDATE SET scope = EXCLUDED.scope, location_uid = EXCLUDED.location_uid, org_slug = EXCLUDED.org_slug,
           organization_uid = EXCLUDED.organization_uid, podium_webhook_uid = EXCLUDED.podium_webhook_uid, secret_ciphertext = EXCLUDED.secret_ciphertext,
           secret_key_id = EXCLUDED.secret_key_id, updated_at = EXCLUDED.updated_at`,
        [s.subscriptionId, s.scope, s.locationUid, s.orgSlug, s.organizationUid ?? null, s.podiumWebhookUid ?? null, enc.ciphertext, enc.keyId, s.createdAt, s.updatedAt],
      );
    },
    async remove(id) {
      return ((await query("remove a webhook subscription", `DELETE FROM ${t} WHERE subscription_id = $1`, [id])).rowCount ?? 0) === 1;
    },
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * Re-encrypts every webhook secret not under the cipher's active key (the last step of rotating
 * `credentials.encryption`), each with a compare-and-swap on its old ciphertext so a secret `webhooks sync` rewrote
 * meanwhile is left as it is; returns how many it rewrote and how many secrets each key id encrypts afterwards.
 * A database where no subscription table exists (events never used) has nothing to do and gets none created.
 */
export async function reencryptPgSubscriptionSecrets(options: PgEventsOptions, cipher: SecretCipher): Promise<{ rewritten: number; secretsByKey: Record<string, number> }> {
  const pool: Pool = openPgPool({ ...options, poolMax: 1 });
  const t = `${options.schema}.webhook_subscriptions`;
  try {
    const exists = await pool.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [t]);
    if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) return { rewritten: 0, secretsByKey: {} };
    const old = await pool.query<Pick<Row, "subscription_id" | "secret_ciphertext" | "secret_key_id">>(
      `SELECT subscription_id, secret_ciphertext, secret_key_id FROM ${t} WHERE secret_key_id <> $1`,
      [cipher.activeKeyId],
    );
    let rewritten = 0;
    for (const row of old.rows) {
      const enc = cipher.encrypt(cipher.decrypt(row.secret_ciphertext, row.secret_key_id, owner(row.subscription_id)), owner(row.subscription_id));
      const done = await pool.query(
        `UPDATE ${t} SET secret_ciphertext = $2, secret_key_id = $3 WHERE subscription_id = $1 AND secret_key_id = $4 AND secret_ciphertext = $5`,
        [row.subscription_id, enc.ciphertext, enc.keyId, row.secret_key_id, row.secret_ciphertext],
      );
      rewritten += done.rowCount ?? 0;
    }
    const counts = await pool.query<{ key_id: string; n: string }>(`SELECT secret_key_id AS key_id, count(*) AS n FROM ${t} GROUP BY secret_key_id ORDER BY secret_key_id`);
    return { rewritten, secretsByKey: Object.fromEntries(counts.rows.map((r) => [r.key_id, Number(r.n)])) };
  } catch (err) {
    throw unavailable(err, options, "re-encrypt webhook secrets");
  } finally {
    await pool.end().catch(() => undefined);
  }
}
