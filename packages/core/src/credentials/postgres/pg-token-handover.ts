import type { PoolClient } from "pg";
import type { PgTokenOps } from "./pg-refresh-tokens.js";

/** The token columns of a row, as remove() and replace() lock them. @internal */
export interface TokenHolding {
  refresh_token_ciphertext: Buffer | null;
  refresh_token_key_id: string | null;
  refresh_token_version: string;
  refresh_token_source: string | null;
}

/** The location's row, locked, with the token columns it holds (null ciphertext when it shares another's). @internal */
export async function lockTokenRow(ops: Pick<PgTokenOps, "table">, client: PoolClient, locationUid: string): Promise<TokenHolding | undefined> {
  return (
    await client.query<TokenHolding>(
      `SELECT refresh_token_ciphertext, refresh_token_key_id, refresh_token_version, refresh_token_source FROM ${ops.table} WHERE location_uid = $1 FOR UPDATE`,
      [locationUid],
    )
  ).rows[0];
}

/**
 * The token `locationUid` held (`row`), handed to the oldest other location sharing it (re-bound to that uid), so
 * locations of the same grant keep working when this one is removed or gets a token of its own.
 * @internal
 */
export async function handOverToken(ops: Pick<PgTokenOps, "table" | "cipher">, client: PoolClient, locationUid: string, row: TokenHolding): Promise<void> {
  if (row.refresh_token_ciphertext === null || row.refresh_token_key_id === null) return;
  const heir = (
    await client.query<{ location_uid: string }>(
      `SELECT location_uid FROM ${ops.table} WHERE refresh_token_holder = $1 AND location_uid <> $1 ORDER BY seq LIMIT 1 FOR UPDATE`,
      [locationUid],
    )
  ).rows[0];
  if (!heir) return;
  const enc = ops.cipher.encrypt(ops.cipher.decrypt(row.refresh_token_ciphertext, row.refresh_token_key_id, locationUid), heir.location_uid);
  await client.query(
    `UPDATE ${ops.table} SET refresh_token_holder = location_uid, refresh_token_ciphertext = $2, refresh_token_key_id = $3, refresh_token_version = $4,
       refresh_token_source = $5 WHERE location_uid = $1`,
    [heir.location_uid, enc.ciphertext, enc.keyId, row.refresh_token_version, row.refresh_token_source],
  );
  await client.query(`UPDATE ${ops.table} SET refresh_token_holder = $2 WHERE refresh_token_holder = $1 AND location_uid <> $1`, [locationUid, heir.location_uid]);
}
