/** The `credentials` section of the settings (see credentials-settings.ts for what each key means). */
import { type CredentialsSettings, DEFAULT_CREDENTIALS_BACKEND, DEFAULT_CREDENTIALS_PATH, DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL, KEY_ID_PATTERN, parseSecretRef, PG_SCHEMA_PATTERN, type PostgresSettings } from "../credentials/index.js";
import type { SectionReader } from "./settings-reader.js";

/**
 * Reads and checks the `credentials` section. The PostgreSQL backend needs at least one encryption key; key
 * values must be secret references. Messages name the dotted key and the rule, never a URL or a key value.
 * @internal
 */
export function readCredentialsSettings(cr: SectionReader): CredentialsSettings {
  const backend = cr.oneOf("backend", DEFAULT_CREDENTIALS_BACKEND, ["file", "postgres"]);
  const path = cr.string("path", DEFAULT_CREDENTIALS_PATH);

  const pg = cr.section("postgres");
  const url = postgresUrl(pg.raw("url"), (rule) => cr.fail("postgres.url", rule));
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
    if (!KEY_ID_PATTERN.test(id)) cr.fail("encryption.keys", "must be keyed by key ids of 1-64 of A-Z a-z 0-9 . _ - (an id is not valid; it is not shown)");
    const key = `encryption.keys.${id}`;
    if (typeof value !== "string") cr.fail(key, 'must be a secret reference, "env:NAME" or "file:PATH"');
    try {
      parseSecretRef(value as string);
    } catch {
      cr.fail(key, 'must be a secret reference, "env:NAME" or "file:PATH", naming where the key is; never the key itself (the value is not shown)');
    }
    keys[id] = value as string;
  }
  keysIn.done();
  const ids = Object.keys(keys);
  const named = enc.string("active_key_id", "", { allowEmpty: true });
  enc.done();
  let activeKeyId = named;
  if (named !== "" && !Object.hasOwn(keys, named)) cr.fail("encryption.active_key_id", `must be one of the ids under credentials.encryption.keys (${ids.join(", ") || "none listed"})`);
  if (named === "" && ids.length === 1) activeKeyId = ids[0] as string;
  if (named === "" && ids.length > 1) cr.fail("encryption.active_key_id", `must name the key new writes use, one of ${ids.join(", ")}`);
  if (backend === "postgres" && ids.length === 0) {
    cr.fail("encryption.keys", 'must list at least one key when credentials.backend is postgres, e.g. { k1: "env:PODIUM_ROUTER_KEY_K1" } (32 bytes: openssl rand -base64 32)');
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
