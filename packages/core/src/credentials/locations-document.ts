/**
 * The on-disk format of the locations file (snake_case, versioned) and its validation.
 * Parsing refuses anything doubtful with a message naming the file and the line or record, so a hand-edit
 * gone wrong stops the router instead of routing with a half-read registry.
 */
import type { LocationRecord, LocationRecordPatch } from "./credential-store.js";
import { CredentialError, InvalidConfigError } from "@podium-router/errors";
import { jsonErrorOffset } from "../util/index.js";
import { parseSecretRef } from "./secret-ref.js";

/**
 * The schema version this build writes; older versions are migrated on read, newer ones refused.
 * 2 added the optional `name` (Podium's name of the location). A version-1 file reads as it is; the first write
 * rewrites it as version 2, which a version-1 build refuses by its version ("upgrade it") instead of by the
 * unknown field.
 */
export const LOCATIONS_SCHEMA_VERSION = 2;

/** A record as stored: snake_case keys. */
interface DiskRecord {
  location_uid: string;
  org_slug: string;
  client_id_ref: string;
  client_secret_ref: string;
  refresh_token_file: string;
  state: string;
  organization_uid?: string | undefined;
  name?: string | undefined;
  verified_at?: string | undefined;
  created_at: string;
  updated_at: string;
}

/** camelCase field → snake_case key, in the order they are written. */
const FIELDS = {
  locationUid: "location_uid",
  orgSlug: "org_slug",
  clientIdRef: "client_id_ref",
  clientSecretRef: "client_secret_ref",
  refreshTokenFile: "refresh_token_file",
  state: "state",
  organizationUid: "organization_uid",
  name: "name",
  verifiedAt: "verified_at",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const satisfies Record<keyof LocationRecord, keyof DiskRecord>;
type Field = keyof typeof FIELDS;
const OPTIONAL = new Set<Field>(["organizationUid", "name", "verifiedAt"]);
const DISK_KEYS = new Map<string, Field>(Object.entries(FIELDS).map(([camel, snake]) => [snake, camel as Field]));

/** Migrations keyed by the version they upgrade from: `migrations[n]` turns a version-n document into n+1. */
const migrations: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: `name` is new and optional; version-1 records are valid as they are.
  1: (doc) => doc,
};

/** Parses and validates the locations file's text into records by uid, in file order. Throws CredentialError. */
export function parseLocationsDocument(text: string, file: string): Map<string, LocationRecord> {
  let doc: unknown;
  const body = text.replace(/^\uFEFF/, "");
  try {
    doc = JSON.parse(body);
  } catch {
    // The parser's own message is not repeated: newer V8 versions quote a snippet of the file.
    const { line, column } = lineAndColumn(body, jsonErrorOffset(body) ?? 0);
    throw new CredentialError({}, `${file} is not valid JSON at line ${line} column ${column} (truncated or hand-edited?); restore it from a backup or fix the syntax`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new CredentialError({}, `${file} must hold a JSON object with "schema_version" and "locations"`);
  }
  const current = migrateLocationsDocument(doc as Record<string, unknown>, file);
  const list = current["locations"];
  if (!Array.isArray(list)) throw new CredentialError({}, `${file}: "locations" must be an array`);
  const records = new Map<string, LocationRecord>();
  const firstIndex = new Map<string, number>();
  list.forEach((raw: unknown, index) => {
    const record = recordFromDisk(raw, file, index);
    const earlier = firstIndex.get(record.locationUid);
    if (earlier !== undefined) {
      throw new CredentialError(
        { locationUid: record.locationUid },
        `${file}: locations[${earlier}] and locations[${index}] both have location_uid "${record.locationUid}"; keep one`,
      );
    }
    firstIndex.set(record.locationUid, index);
    records.set(record.locationUid, record);
  });
  return records;
}

/** Brings a parsed document to the current schema version; refuses missing, unknown and newer versions. */
export function migrateLocationsDocument(doc: Record<string, unknown>, file: string): Record<string, unknown> {
  let version = doc["schema_version"];
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw new CredentialError({}, `${file}: "schema_version" must be an integer between 1 and ${LOCATIONS_SCHEMA_VERSION}`);
  }
  if (version > LOCATIONS_SCHEMA_VERSION) {
    throw new CredentialError(
      {},
      `${file} has schema_version ${version}, written by a newer podium-router; this version reads up to ${LOCATIONS_SCHEMA_VERSION}, so upgrade it`,
    );
  }
  let current = doc;
  while (version < LOCATIONS_SCHEMA_VERSION) {
    const step = migrations[version];
    if (!step) throw new CredentialError({}, `${file}: no migration from schema_version ${version}`);
    current = { ...step(current), schema_version: version + 1 };
    version += 1;
  }
  return current;
}

/** The file's text for these records: current schema version, snake_case, one key per line for readable diffs. */
export function serializeLocationsDocument(records: Iterable<LocationRecord>): string {
  const locations = [...records].map((record) => {
    const disk: Record<string, string> = {};
    for (const [camel, snake] of Object.entries(FIELDS)) {
      const value = record[camel as Field];
      if (value !== undefined) disk[snake] = value;
    }
    return disk;
  });
  return `${JSON.stringify({ schema_version: LOCATIONS_SCHEMA_VERSION, locations }, null, 2)}\n`;
}

/**
 * Checks a record given to `insert()`/`update()`: every required field a non-empty string, a known state,
 * references (not secrets), ISO times. Throws InvalidConfigError, or CredentialError for a bad reference.
 */
export function checkLocationRecord(record: LocationRecord): LocationRecord {
  const uid = typeof record?.locationUid === "string" ? record.locationUid : undefined;
  const where = uid ? `location ${uid}` : "location record";
  return checkFields(record as unknown as Record<string, unknown>, where, uid, (field) => field, (detail) => new InvalidConfigError({ locationUid: uid }, detail));
}

/**
 * `current` with `patch` applied, `updatedAt` set to now unless the patch names it, checked as a whole; the uid
 * never changes. A patch key present with the value `undefined` clears an optional field (e.g. `verifiedAt`
 * after a failed verification). Both stores apply updates through this one function.
 */
export function applyRecordPatch(current: LocationRecord, patch: LocationRecordPatch): LocationRecord {
  const merged: Record<string, unknown> = { ...current, updatedAt: new Date().toISOString() };
  for (const [key, value] of Object.entries(patch)) {
    if (key === "locationUid") continue;
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return checkLocationRecord({ ...(merged as unknown as LocationRecord), locationUid: current.locationUid });
}

function recordFromDisk(raw: unknown, file: string, index: number): LocationRecord {
  const uid = typeof (raw as { location_uid?: unknown } | null)?.location_uid === "string" ? (raw as DiskRecord).location_uid : undefined;
  const where = `${file}: locations[${index}]${uid ? ` (location_uid "${uid}")` : ""}`;
  const fail = (detail: string) => new CredentialError({ locationUid: uid }, detail);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw fail(`${where} must be an object`);
  const camel: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = DISK_KEYS.get(key);
    // Refused rather than dropped: the next write would silently lose it. The key name is safe to show, not its value.
    if (!field) throw fail(`${where} has unknown field "${key}"; remove it or fix its spelling`);
    if (value !== null) camel[field] = value;
  }
  return checkFields(camel, where, uid, (field) => FIELDS[field], fail);
}

function checkFields(
  input: Record<string, unknown>,
  where: string,
  locationUid: string | undefined,
  nameOf: (field: Field) => string,
  fail: (detail: string) => Error,
): LocationRecord {
  const out: Record<string, string> = {};
  for (const field of Object.keys(FIELDS) as Field[]) {
    const value = input[field];
    if (value === undefined && OPTIONAL.has(field)) continue;
    if (value === undefined) throw fail(`${where} is missing "${nameOf(field)}"`);
    if (typeof value !== "string" || value.trim() === "") throw fail(`${where}: "${nameOf(field)}" must be a non-empty string`);
    out[field] = value;
  }
  if (out["state"] !== "active" && out["state"] !== "deleted") throw fail(`${where}: "${nameOf("state")}" must be "active" or "deleted"`);
  for (const field of ["createdAt", "updatedAt", "verifiedAt"] as const) {
    const value = out[field];
    if (value !== undefined && Number.isNaN(Date.parse(value))) throw fail(`${where}: "${nameOf(field)}" must be an ISO date-time`);
  }
  for (const field of ["clientIdRef", "clientSecretRef"] as const) {
    parseSecretRef(out[field] as string, { label: `${where}: "${nameOf(field)}"`, locationUid });
  }
  return out as unknown as LocationRecord;
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lastNewline = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: position - lastNewline };
}
