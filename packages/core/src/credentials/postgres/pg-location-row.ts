/**
 * Maps between `LocationRecord` and a row of the PostgreSQL store's `locations` table.
 * @internal
 */
import type { LocationRecord } from "../credential-store.js";

/**
 * `refreshTokenFile` of a record in the PostgreSQL store: `pg:<uid of the row holding the token>`. Opaque to
 * everyone else; stable per token, so locations sharing one token (one Podium grant) share one grant key.
 */
export const PG_TOKEN_MARKER = "pg:";

/** The columns a record is read from, in SELECT order. */
export const RECORD_COLUMNS =
  "location_uid, org_slug, client_id_ref, client_secret_ref, refresh_token_holder, state, organization_uid, name, verified_at, created_at, updated_at";

/** A row as `RECORD_COLUMNS` returns it (timestamptz arrive as Date). */
export interface LocationRow {
  location_uid: string;
  org_slug: string;
  client_id_ref: string;
  client_secret_ref: string;
  refresh_token_holder: string;
  state: string;
  organization_uid: string | null;
  name: string | null;
  verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The record of a row; times as ISO strings (millisecond precision, UTC). */
export function fromRow(row: LocationRow): LocationRecord {
  const record: LocationRecord = {
    locationUid: row.location_uid,
    orgSlug: row.org_slug,
    clientIdRef: row.client_id_ref,
    clientSecretRef: row.client_secret_ref,
    refreshTokenFile: `${PG_TOKEN_MARKER}${row.refresh_token_holder}`,
    state: row.state as LocationRecord["state"],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.organization_uid !== null) record.organizationUid = row.organization_uid;
  if (row.name !== null) record.name = row.name;
  if (row.verified_at !== null) record.verifiedAt = row.verified_at.toISOString();
  return record;
}

/**
 * Parameters $1..$10 for a record: uid, org slug, refs, state, organization uid, verified/created/updated at, name.
 * Times go in as Dates, parsed here, so any form `checkLocationRecord` accepts is stored as the same instant.
 */
export function toRow(record: LocationRecord): unknown[] {
  return [
    record.locationUid,
    record.orgSlug,
    record.clientIdRef,
    record.clientSecretRef,
    record.state,
    record.organizationUid ?? null,
    record.verifiedAt === undefined ? null : new Date(record.verifiedAt),
    new Date(record.createdAt),
    new Date(record.updatedAt),
    record.name ?? null,
  ];
}

/** The holder uid a `pg:` marker names, or undefined for a file path. */
export function holderOf(refreshTokenFile: string): string | undefined {
  return refreshTokenFile.startsWith(PG_TOKEN_MARKER) ? refreshTokenFile.slice(PG_TOKEN_MARKER.length) : undefined;
}
