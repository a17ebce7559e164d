/**
 * The PostgreSQL backend of the credential store, for deployments with several router replicas: location
 * records and their refresh tokens live in the database (tokens AES-256-GCM encrypted, see secret-cipher.ts),
 * refreshes are serialised by a lock row with an owner and fenced by a version check on the token.
 */
import { resolve } from "node:path";
import { createRequire } from "node:module";
import type { Pool, PoolClient, QueryResult, QueryResultRow } from "pg";
import type { CredentialStore, InsertOptions, LocationRecord, LocationRecordPatch, VersionedRefreshToken } from "../credential-store.js";
import { CredentialError, InternalError, InvalidConfigError, UnknownLocationError } from "@podium-router/errors";
import { applyRecordPatch, checkLocationRecord } from "../locations-document.js";
import { describePgError, ensurePgSchema, inTransaction, PG_SCHEMA_PATTERN, pgEndpointOf } from "./pg-credential-schema.js";
import { fromRow, holderOf, PG_TOKEN_MARKER, RECORD_COLUMNS, toRow } from "./pg-location-row.js";
import type { LocationRow } from "./pg-location-row.js";
import { holderBySource, nonEmptyToken, readTokenFile, readVersioned, reencryptAll, tokensByKey, withRowLock, writeVersioned } from "./pg-refresh-tokens.js";
import type { PgTokenOps } from "./pg-refresh-tokens.js";
import { handOverToken, lockTokenRow } from "./pg-token-handover.js";
import { DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "../credentials-settings.js";
import { createSecretCipher, type SecretCipher } from "./secret-cipher.js";

/** 5 s, like upstream connects: a reachable server answers well within it. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Options of `createPgCredentialStore()`. */
export interface PgCredentialStoreOptions {
  /** Connection URL; a password may come from PGPASSWORD instead. Never shown in errors (host:port is). @default "postgres://postgres@127.0.0.1:5432/test" */
  url?: string | undefined;
  /** Schema holding the tables (created if absent): a lower-case SQL identifier. @default "podium_router" */
  schema?: string | undefined;
  /** Pool size of this process. @default 10 */
  poolMax?: number | undefined;
  /** Encryption keys by id (32 bytes each). Keep every id that rows still use until `reencrypt()` has run. */
  keys: ReadonlyMap<string, Uint8Array>;
  /** The key id new writes use. */
  activeKeyId: string;
  /** Longest wait for a connection. @default 5000 */
  connectTimeoutMs?: number | undefined;
}

/** The PostgreSQL store: the full CredentialStore, with refresh coordination, plus key rotation. */
export interface PgCredentialStore extends CredentialStore {
  readRefreshTokenVersioned(record: LocationRecord): Promise<VersionedRefreshToken>;
  withRefreshLock<T>(locationUid: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Rewrites every refresh token not under the active key with it; afterwards older keys can be dropped. */
  reencrypt(): Promise<{ rewritten: number }>;
  /** How many stored refresh tokens each key id encrypts: an old key may be dropped once it counts none. */
  tokensByKey(): Promise<Record<string, number>>;
}

/** Opens the store. Nothing connects until the first call, which creates the schema and tables if absent. */
export function createPgCredentialStore(options: PgCredentialStoreOptions): PgCredentialStore {
  const url = options.url ?? DEFAULT_POSTGRES_URL;
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const poolMax = options.poolMax ?? DEFAULT_POSTGRES_POOL_MAX;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (typeof url !== "string" || !/^postgres(ql)?:\/\//.test(url)) throw new InvalidConfigError({}, "credentials.postgres.url must be a postgres:// or postgresql:// URL");
  if (!PG_SCHEMA_PATTERN.test(schema)) throw new InvalidConfigError({}, "credentials.postgres.schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63; not starting with a digit)");
  if (!Number.isInteger(poolMax) || poolMax < 1) throw new InvalidConfigError({}, "credentials.postgres.pool_max must be an integer >= 1");
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) throw new InvalidConfigError({}, "connectTimeoutMs must be an integer >= 1");
  const cipher = createSecretCipher({ keys: options.keys, activeKeyId: options.activeKeyId });
  return new PgStore(url, schema, poolMax, connectTimeoutMs, cipher);
}

class PgStore implements PgCredentialStore {
  readonly #pool: Pool;
  readonly #table: string;
  readonly #schema: string;
  readonly #endpoint: string;
  readonly #cipher: SecretCipher;
  readonly #ops: PgTokenOps;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(url: string, schema: string, poolMax: number, connectTimeoutMs: number, cipher: SecretCipher) {
    // Loaded on first use: a router on the file backend never pays pg's import time.
    const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
    this.#pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: connectTimeoutMs });
    // An idle connection dropped by the server emits here; unhandled it would crash the process. The next
    // query gets a fresh connection, or a CredentialError naming the server.
    this.#pool.on("error", () => undefined);
    this.#schema = schema;
    this.#table = `${schema}.locations`;
    this.#endpoint = pgEndpointOf(url);
    this.#cipher = cipher;
    this.#ops = { table: this.#table, cipher, query: (what, sql, params) => this.#query(what, sql, params) };
  }

  async list(): Promise<LocationRecord[]> {
    const { rows } = await this.#query<LocationRow>("list locations", `SELECT ${RECORD_COLUMNS} FROM ${this.#table} ORDER BY seq`);
    return rows.map(fromRow);
  }

  async get(locationUid: string): Promise<LocationRecord | undefined> {
    const row = (await this.#query<LocationRow>("read a location", `SELECT ${RECORD_COLUMNS} FROM ${this.#table} WHERE location_uid = $1`, [locationUid])).rows[0];
    return row && fromRow(row);
  }

  async insert(record: LocationRecord, options: InsertOptions = {}): Promise<boolean> {
    const checked = checkLocationRecord(record);
    const uid = checked.locationUid;
    if (await this.get(uid)) return false;
    // Two first imports of one file race for the source index; the loser retries and shares the winner's token.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transaction("insert a location", (client) => this.#insertIn(client, checked, options));
      } catch (err) {
        if (attempt < 2 && (err as { cause?: { constraint?: unknown } }).cause?.constraint === "locations_refresh_token_source") continue;
        throw err;
      }
    }
  }

  async #insertIn(client: PoolClient, record: LocationRecord, options: InsertOptions): Promise<boolean> {
    const uid = record.locationUid;
    const marker = holderOf(record.refreshTokenFile);
    let holder = uid;
    let source: string | null = null;
    let token: string | undefined;
    if (options.refreshToken !== undefined) {
      token = nonEmptyToken(options.refreshToken, uid, "the refresh token given to insert()");
    } else if (marker !== undefined && marker !== uid) {
      // Shares another location's token (one Podium grant); FOR SHARE keeps both rows from being removed meanwhile.
      const found = await client.query<{ holder: string }>(
        `SELECT h.location_uid AS holder FROM ${this.#table} l JOIN ${this.#table} h ON h.location_uid = l.refresh_token_holder WHERE l.location_uid = $1 FOR SHARE`,
        [marker],
      );
      holder = found.rows[0]?.holder ?? fail(new CredentialError({ locationUid: uid }, `location ${uid} names ${PG_TOKEN_MARKER}${marker} as its refresh token, but location ${marker} is not in the store`));
    } else if (marker !== undefined) {
      throw new CredentialError({ locationUid: uid }, `location ${uid} has no refresh token to store; pass insert(record, { refreshToken }) or a refresh-token file`);
    } else {
      source = resolve(record.refreshTokenFile);
      const shared = await holderBySource(this.#ops, client, source, true);
      if (shared !== undefined) [holder, source] = [shared, null];
      else token = await readTokenFile(source, uid);
    }
    const enc = token === undefined ? undefined : this.#cipher.encrypt(token, uid);
    const inserted = await client.query(
      `INSERT INTO ${this.#table} (location_uid, org_slug, client_id_ref, client_secret_ref, state, organization_uid, verified_at, created_at, updated_at, name,
         refresh_token_holder, refresh_token_source, refresh_token_ciphertext, refresh_token_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (location_uid) DO NOTHING`,
      [...toRow(record), holder, source, enc?.ciphertext ?? null, enc?.keyId ?? null],
    );
    return inserted.rowCount === 1;
  }

  async update(locationUid: string, patch: LocationRecordPatch): Promise<LocationRecord> {
    return this.#transaction("update a location", async (client) => {
      const row = (await client.query<LocationRow>(`SELECT ${RECORD_COLUMNS} FROM ${this.#table} WHERE location_uid = $1 FOR UPDATE`, [locationUid])).rows[0];
      if (!row) throw new UnknownLocationError({ locationUid });
      const current = fromRow(row);
      const next = applyRecordPatch(current, patch);
      if (next.refreshTokenFile !== current.refreshTokenFile) {
        throw new InvalidConfigError({ locationUid }, `location ${locationUid}: refreshTokenFile cannot be changed in the PostgreSQL store; it keeps the token itself (write a new one with writeRefreshToken)`);
      }
      await client.query(
        `UPDATE ${this.#table} SET org_slug = $2, client_id_ref = $3, client_secret_ref = $4, state = $5, organization_uid = $6, verified_at = $7,
           created_at = $8, updated_at = $9, name = $10 WHERE location_uid = $1`,
        toRow(next),
      );
      return fromRow((await client.query<LocationRow>(`SELECT ${RECORD_COLUMNS} FROM ${this.#table} WHERE location_uid = $1`, [locationUid])).rows[0] as LocationRow);
    });
  }

  async remove(locationUid: string): Promise<boolean> {
    return this.#transaction("remove a location", async (client) => {
      const row = await lockTokenRow(this.#ops, client, locationUid);
      if (!row) return false;
      await client.query(`DELETE FROM ${this.#table} WHERE location_uid = $1`, [locationUid]);
      await handOverToken(this.#ops, client, locationUid, row);
      return true;
    });
  }

  async replace(record: LocationRecord, options: InsertOptions = {}): Promise<LocationRecord> {
    const checked = checkLocationRecord(record);
    const uid = checked.locationUid;
    const token = options.refreshToken !== undefined ? nonEmptyToken(options.refreshToken, uid, "the refresh token given to replace()") : await readTokenFile(resolve(checked.refreshTokenFile), uid);
    return this.#transaction("replace a location's credentials", async (client) => {
      const row = await lockTokenRow(this.#ops, client, uid);
      if (!row) throw new UnknownLocationError({ locationUid: uid });
      // Locations that shared this row's token (one grant) keep it: it moves to the oldest of them first.
      await client.query(`UPDATE ${this.#table} SET refresh_token_source = NULL WHERE location_uid = $1`, [uid]);
      await handOverToken(this.#ops, client, uid, row);
      const enc = this.#cipher.encrypt(token, uid);
      await client.query(
        `UPDATE ${this.#table} SET org_slug = $2, client_id_ref = $3, client_secret_ref = $4, state = $5, organization_uid = $6, verified_at = $7,
           created_at = $8, updated_at = $9, name = $10, refresh_token_holder = location_uid, refresh_token_source = NULL,
           refresh_token_ciphertext = $11, refresh_token_key_id = $12, refresh_token_version = refresh_token_version + 1
         WHERE location_uid = $1`,
        [...toRow(checked), enc.ciphertext, enc.keyId],
      );
      return fromRow((await client.query<LocationRow>(`SELECT ${RECORD_COLUMNS} FROM ${this.#table} WHERE location_uid = $1`, [uid])).rows[0] as LocationRow);
    });
  }

  async readRefreshToken(record: LocationRecord): Promise<string> {
    return (await this.readRefreshTokenVersioned(record)).token;
  }

  readRefreshTokenVersioned(record: LocationRecord): Promise<VersionedRefreshToken> {
    return readVersioned(this.#ops, record);
  }

  writeRefreshToken(record: LocationRecord, token: string, expectedVersion?: number): Promise<void> {
    return writeVersioned(this.#ops, record, token, expectedVersion);
  }

  withRefreshLock<T>(locationUid: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
    return withRowLock(this.#ops, locationUid, owner, ttlMs, fn);
  }

  reencrypt(): Promise<{ rewritten: number }> {
    return reencryptAll(this.#ops);
  }

  tokensByKey(): Promise<Record<string, number>> {
    return tokensByKey(this.#ops);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready?.catch(() => undefined);
    await this.#pool.end();
  }

  async #query<R extends QueryResultRow = QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    await this.#ensureReady(what);
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw describePgError(err, this.#endpoint, what);
    }
  }

  async #transaction<T>(what: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.#ensureReady(what);
    try {
      return await inTransaction(this.#pool, fn);
    } catch (err) {
      throw describePgError(err, this.#endpoint, what);
    }
  }

  async #ensureReady(what: string): Promise<void> {
    if (this.#closed) throw new InternalError({}, `the PostgreSQL credential store (${this.#endpoint}) is closed`);
    this.#ready ??= (async () => {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw describePgError(err, this.#endpoint, what);
      }
      try {
        await ensurePgSchema(client, this.#schema, (err) => describePgError(err, this.#endpoint, `create schema ${this.#schema}`));
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      this.#ready = undefined; // the next call tries again (the server may be back)
      throw err;
    });
    await this.#ready;
  }
}

function fail(err: Error): never {
  throw err;
}

