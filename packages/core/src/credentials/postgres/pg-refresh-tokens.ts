/**
 * The refresh-token side of the PostgreSQL credential store: encrypted reads and version-checked writes,
 * the refresh lock row (owner token, expiry, compare-and-delete release) and re-encryption under a new key.
 * @internal
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { PoolClient, QueryResult, QueryResultRow } from "pg";
import { writeFileAtomic } from "../../util/index.js";
import type { LocationRecord, VersionedRefreshToken } from "../credential-store.js";
import { CredentialError, InternalError, UnknownLocationError } from "@podium-router/errors";
import { holderOf, PG_TOKEN_MARKER } from "./pg-location-row.js";
import { RefreshTokenConflictError } from "@podium-router/errors";
import type { SecretCipher } from "./secret-cipher.js";
import { describeReadError } from "../secret-ref.js";

/** Rows re-encrypted per query by `reencryptAll()`. */
const REENCRYPT_BATCH = 200;

/** What the operations here need from the store. */
export interface PgTokenOps {
  /** `<schema>.locations`. */
  table: string;
  cipher: SecretCipher;
  /** One statement on the pool; failures become CredentialErrors naming the server and `what`. */
  query<R extends QueryResultRow = QueryResultRow>(what: string, sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

type TokenRow = { holder: string; refresh_token_ciphertext: Buffer; refresh_token_key_id: string; refresh_token_version: string };

/** The location's token (from the row holding it) and its version. */
export async function readVersioned(ops: PgTokenOps, record: LocationRecord): Promise<VersionedRefreshToken> {
  const uid = record.locationUid;
  const row = (
    await ops.query<TokenRow>(
      "read a refresh token",
      `SELECT h.location_uid AS holder, h.refresh_token_ciphertext, h.refresh_token_key_id, h.refresh_token_version
         FROM ${ops.table} l JOIN ${ops.table} h ON h.location_uid = l.refresh_token_holder WHERE l.location_uid = $1`,
      [uid],
    )
  ).rows[0];
  if (row) return { token: ops.cipher.decrypt(row.refresh_token_ciphertext, row.refresh_token_key_id, row.holder), version: Number(row.refresh_token_version) };
  // Not stored yet (onboarding reads and rotates the token before it inserts the record): the record's file,
  // unless a location onboarded earlier from that same file already holds its (possibly rotated) token.
  const file = preInsertFile(record);
  const holder = await holderBySource(ops, undefined, file, false);
  if (holder !== undefined) return readVersioned(ops, { ...record, locationUid: holder, refreshTokenFile: `${PG_TOKEN_MARKER}${holder}` });
  return { token: await readTokenFile(file, uid), version: 0 };
}

/** Stores a token in the row holding the location's token; with `expectedVersion`, only if still at it. */
export async function writeVersioned(ops: PgTokenOps, record: LocationRecord, token: string, expectedVersion?: number): Promise<void> {
  const uid = record.locationUid;
  const value = nonEmptyToken(token, uid, "a rotated refresh token");
  const found = await ops.query<{ refresh_token_holder: string }>("write a refresh token", `SELECT refresh_token_holder FROM ${ops.table} WHERE location_uid = $1`, [uid]);
  let holder = found.rows[0]?.refresh_token_holder;
  if (holder === undefined) {
    const file = preInsertFile(record);
    holder = await holderBySource(ops, undefined, file, false);
    if (holder === undefined) return writeTokenFile(file, value, uid);
  }
  const enc = ops.cipher.encrypt(value, holder);
  const params: unknown[] = [holder, enc.ciphertext, enc.keyId];
  if (expectedVersion !== undefined) params.push(expectedVersion);
  const updated = await ops.query(
    "write a refresh token",
    `UPDATE ${ops.table} SET refresh_token_ciphertext = $2, refresh_token_key_id = $3, refresh_token_version = refresh_token_version + 1
       WHERE location_uid = $1 AND refresh_token_ciphertext IS NOT NULL${expectedVersion === undefined ? "" : " AND refresh_token_version = $4"}`,
    params,
  );
  if (updated.rowCount === 1) return;
  const now = (await ops.query<{ v: string }>("write a refresh token", `SELECT refresh_token_version AS v FROM ${ops.table} WHERE location_uid = $1 AND refresh_token_ciphertext IS NOT NULL`, [holder])).rows[0];
  if (now !== undefined && expectedVersion !== undefined) throw new RefreshTokenConflictError({ locationUid: uid, expectedVersion, storedVersion: Number(now.v) });
  throw new CredentialError({ locationUid: uid }, `the refresh token of location ${uid} moved while it was written (its location was removed or re-onboarded); nothing was written, retry`);
}

/**
 * Runs `fn` holding the lock of the row that holds the location's token: taken by an UPDATE that succeeds only
 * when the lock is free, expired, or already `owner`'s; released by compare-and-delete on the owner token.
 */
export async function withRowLock<T>(ops: PgTokenOps, locationUid: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
  if (typeof owner !== "string" || owner === "") throw new InternalError({ locationUid }, "withRefreshLock needs a non-empty owner");
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new InternalError({ locationUid }, "withRefreshLock needs ttlMs, an integer >= 1");
  // Waiting out one full TTL is enough: by then the holder has released, or its lock has expired and is ours to take.
  const deadline = Date.now() + ttlMs + 1_000;
  let holder: string | undefined;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const taken = await ops.query<{ location_uid: string }>(
      "take a refresh lock",
      `UPDATE ${ops.table} SET refresh_lock_owner = $2, refresh_lock_expires_at = clock_timestamp() + $3::double precision * interval '1 millisecond'
         WHERE location_uid = (SELECT refresh_token_holder FROM ${ops.table} WHERE location_uid = $1)
           AND (refresh_lock_owner IS NULL OR refresh_lock_owner = $2 OR refresh_lock_expires_at < clock_timestamp())
         RETURNING location_uid`,
      [locationUid, owner, ttlMs],
    );
    holder = taken.rows[0]?.location_uid;
    if (holder !== undefined) break;
    const exists = await ops.query("take a refresh lock", `SELECT 1 FROM ${ops.table} WHERE location_uid = $1`, [locationUid]);
    if (exists.rowCount === 0) throw new UnknownLocationError({ locationUid });
    if (Date.now() >= deadline) {
      throw new CredentialError({ locationUid }, `another router process kept the refresh lock of location ${locationUid} past its ${ttlMs} ms lifetime; retry`);
    }
    // Jittered, growing pauses: a refresh holds the lock for one token request, tens of milliseconds.
    await new Promise((r) => setTimeout(r, pause / 2 + Math.random() * pause));
  }
  try {
    return await fn();
  } finally {
    // Compare-and-delete: only this acquisition's owner token clears it, never a later holder's lock.
    await ops
      .query("release a refresh lock", `UPDATE ${ops.table} SET refresh_lock_owner = NULL, refresh_lock_expires_at = NULL WHERE location_uid = $1 AND refresh_lock_owner = $2`, [holder, owner])
      .catch(() => undefined); // unreleased, it expires after ttlMs
  }
}

/** Rewrites every token not under the active key with it, in one pass; returns how many rows it rewrote. */
export async function reencryptAll(ops: PgTokenOps): Promise<{ rewritten: number }> {
  const active = ops.cipher.activeKeyId;
  let rewritten = 0;
  // One pass by seq: a row a replica rewrites meanwhile (perhaps with its own active key mid-rollout) is not chased.
  for (let after = "0"; ; ) {
    const { rows } = await ops.query<TokenRow & { seq: string }>(
      "re-encrypt refresh tokens",
      `SELECT location_uid AS holder, seq, refresh_token_ciphertext, refresh_token_key_id, refresh_token_version FROM ${ops.table}
         WHERE refresh_token_ciphertext IS NOT NULL AND refresh_token_key_id <> $1 AND seq > $2 ORDER BY seq LIMIT ${REENCRYPT_BATCH}`,
      [active, after],
    );
    if (rows.length === 0) return { rewritten };
    for (const row of rows) {
      const enc = ops.cipher.encrypt(ops.cipher.decrypt(row.refresh_token_ciphertext, row.refresh_token_key_id, row.holder), row.holder);
      // Same token, same version; skipped if a refresh stored a new token (under the active key) meanwhile.
      const done = await ops.query(
        "re-encrypt refresh tokens",
        `UPDATE ${ops.table} SET refresh_token_ciphertext = $2, refresh_token_key_id = $3 WHERE location_uid = $1 AND refresh_token_version = $4 AND refresh_token_key_id = $5`,
        [row.holder, enc.ciphertext, enc.keyId, row.refresh_token_version, row.refresh_token_key_id],
      );
      rewritten += done.rowCount ?? 0;
      after = row.seq;
    }
  }
}

/** How many stored refresh tokens each key id encrypts (rows sharing a token count once). */
export async function tokensByKey(ops: PgTokenOps): Promise<Record<string, number>> {
  const { rows } = await ops.query<{ key_id: string; n: string }>(
    "count refresh tokens by key",
    `SELECT refresh_token_key_id AS key_id, count(*) AS n FROM ${ops.table} WHERE refresh_token_ciphertext IS NOT NULL GROUP BY refresh_token_key_id ORDER BY refresh_token_key_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.key_id, Number(r.n)]));
}

/**
 * The location holding the token imported from the file `source`, if any. Inside a transaction (`client`)
 * with `lock`, the row is locked FOR SHARE so it cannot be removed before the caller's insert refers to it.
 */
export async function holderBySource(ops: PgTokenOps, client: PoolClient | undefined, source: string, lock: boolean): Promise<string | undefined> {
  const sql = `SELECT location_uid FROM ${ops.table} WHERE refresh_token_source = $1 AND refresh_token_ciphertext IS NOT NULL${lock ? " FOR SHARE" : ""}`;
  const res = client ? await client.query<{ location_uid: string }>(sql, [source]) : await ops.query<{ location_uid: string }>("find a shared refresh token", sql, [source]);
  return res.rows[0]?.location_uid;
}

/** The token, trimmed; CredentialError when empty. */
export function nonEmptyToken(token: string, uid: string, what: string): string {
  const value = typeof token === "string" ? token.trim() : "";
  if (value === "") throw new CredentialError({ locationUid: uid }, `refusing to store ${what} for location ${uid}: it is empty`);
  return value;
}

/** Reads a refresh-token file; CredentialError naming the file (never its content) when missing or empty. */
export async function readTokenFile(file: string, uid: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CredentialError({ locationUid: uid, cause: err }, `refresh-token file ${file} ${describeReadError(err)}; onboard the location again`);
  }
  const token = text.trim();
  if (token === "") throw new CredentialError({ locationUid: uid }, `refresh-token file ${file} is empty; onboard the location again`);
  return token;
}

/** The record's refresh-token file, for a location not stored yet; a `pg:` marker without a row is an unknown location. */
function preInsertFile(record: LocationRecord): string {
  if (holderOf(record.refreshTokenFile) !== undefined) throw new UnknownLocationError({ locationUid: record.locationUid });
  return resolve(record.refreshTokenFile);
}

async function writeTokenFile(file: string, token: string, uid: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${token}\n`);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CredentialError({ locationUid: uid, cause: err }, `cannot write refresh-token file ${file} (${typeof code === "string" ? code : "unknown error"})`);
  }
}
