import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocationRecord } from "../credential-store.js";
import { createPgCredentialStore } from "./pg-credential-store.js";
import type { PgCredentialStore, PgCredentialStoreOptions } from "./pg-credential-store.js";
import { isRefreshTokenConflict } from "@podium-router/errors";
import { refreshCoordinationFor } from "../refresh-coordination.js";
import type { RefreshCoordination } from "../refresh-coordination.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../../testing/services.js";

const postgres = await requirePostgres();
const keyA = randomBytes(32);
const keyB = randomBytes(32);

function record(uid: string, over: Partial<LocationRecord> = {}): LocationRecord {
  return {
    locationUid: uid,
    orgSlug: "test-org",
    clientIdRef: "env:PODIUM_CLIENT_ID",
    clientSecretRef: "env:PODIUM_CLIENT_SECRET",
    refreshTokenFile: `pg:${uid}`,
    state: "active",
    createdAt: "2025-01-02T03:04:05.000Z",
    updatedAt: "2025-01-02T03:04:05.000Z",
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; locationUid?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

describe("createPgCredentialStore() without a database", () => {
  it("reports an unreachable database as CredentialError naming host:port, never the password", async () => {
    const store = createPgCredentialStore({ url: "postgres://router:hunter2-pw@127.0.0.1:1/test", keys: new Map([["a", keyA]]), activeKeyId: "a" });
    try {
      const err = await rejection(store.list());
      expect(err.code).toBe("ERR_LOC_CREDENTIAL");
      expect(err.message).toContain("127.0.0.1:1");
      expect(err.message).toContain("ECONNREFUSED");
      expect(`${err.message} ${JSON.stringify(err)}`).not.toContain("hunter2-pw");
    } finally {
      await store.close();
    }
  });

  it.each([
    [{ keys: new Map([["k1", randomBytes(31)]]), activeKeyId: "k1" }, 'encryption key "k1" must be 32 bytes (got 31)'],
    [{ keys: new Map([["k1", keyA]]), activeKeyId: "k2" }, 'the active encryption key id "k2" is not among the configured keys (k1)'],
    [{ keys: new Map([["k1", keyA]]), activeKeyId: "k1", schema: "Bad-Schema" }, "credentials.postgres.schema must be a lower-case SQL identifier"],
    [{ keys: new Map([["k1", keyA]]), activeKeyId: "k1", url: "mysql://h/db" }, "credentials.postgres.url must be a postgres:// or postgresql:// URL"],
  ])("refuses bad options with InvalidConfigError (%#)", (options: PgCredentialStoreOptions, message) => {
    expect(() => createPgCredentialStore(options)).toThrow(message);
  });
});

describe.skipIf(!postgres)(`createPgCredentialStore()${absentNote("PostgreSQL", postgres)}`, () => {
  let admin: pg.Pool;
  let schema: string;
  let dir: string;
  const opened: PgCredentialStore[] = [];

  const open = (over: Partial<PgCredentialStoreOptions> = {}): PgCredentialStore => {
    const store = createPgCredentialStore({ url: TEST_POSTGRES_URL, schema, poolMax: 4, keys: new Map([["a", keyA]]), activeKeyId: "a", ...over });
    opened.push(store);
    return store;
  };
  const rawRow = async (uid: string) =>
    (await admin.query(`SELECT * FROM ${schema}.locations WHERE location_uid = $1`, [uid])).rows[0] as Record<string, unknown> & {
      refresh_token_ciphertext: Buffer | null;
      refresh_token_key_id: string | null;
      refresh_token_version: string;
      refresh_lock_owner: string | null;
    };

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2 });
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(async () => {
    schema = testSchemaName();
    dir = await mkdtemp(join(tmpdir(), "pg-store-"));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await dropTestSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("creates its schema and tables on first use, once, even when two replicas start together", async () => {
    const [one, two] = [open(), open()];
    expect(await Promise.all([one.list(), two.list()])).toEqual([[], []]);
    const versions = await admin.query(`SELECT version FROM ${schema}.schema_version`);
    // Version 1, then its migrations to version 2 (the audit checkpoint table) and 3 (location names).
    expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    expect(await open().list()).toEqual([]); // a restart finds the tables
  });

  it("migrates a version-2 schema (before names were stored) in place: rows keep their tokens and gain a name", async () => {
    const first = open();
    expect(await first.insert(record("loc-old"), { refreshToken: "rt-old" })).toBe(true);
    await first.close();
    // Back to what a version-2 build left behind.
    await admin.query(`ALTER TABLE ${schema}.locations DROP COLUMN name`);
    await admin.query(`DELETE FROM ${schema}.schema_version WHERE version = 3`);
    const store = open();
    expect(await store.get("loc-old")).toEqual(record("loc-old"));
    expect((await admin.query(`SELECT max(version) AS v FROM ${schema}.schema_version`)).rows[0]).toEqual({ v: 3 });
    expect(await store.update("loc-old", { name: "Acme Sydney" })).toMatchObject({ name: "Acme Sydney" });
    expect(await open().get("loc-old")).toMatchObject({ name: "Acme Sydney" });
    expect(await store.readRefreshToken(record("loc-old"))).toBe("rt-old");
  });

  it("refuses a schema written by a newer podium-router", async () => {
    await open().list();
    await admin.query(`INSERT INTO ${schema}.schema_version (version) VALUES (4)`);
    const err = await rejection(open().list());
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toContain("written by a newer podium-router");
  });

  it("inserts if absent, lists in insertion order, gets, updates and removes like the file store", async () => {
    const store = open();
    expect(await store.insert(record("loc-b"), { refreshToken: "rt-b" })).toBe(true);
    expect(await store.insert(record("loc-a"), { refreshToken: "rt-a" })).toBe(true);
    expect(await store.insert(record("loc-a", { orgSlug: "other" }), { refreshToken: "rt-other" })).toBe(false);
    expect((await store.list()).map((r) => r.locationUid)).toEqual(["loc-b", "loc-a"]);
    expect(await store.get("loc-a")).toEqual(record("loc-a"));
    expect(await store.readRefreshToken(record("loc-a"))).toBe("rt-a");
    expect(await store.get("loc-missing")).toBeUndefined();

    const verified = await store.update("loc-a", { verifiedAt: "2025-02-03T04:05:06.000Z", organizationUid: "org-uid-1" });
    expect(verified).toMatchObject({ verifiedAt: "2025-02-03T04:05:06.000Z", organizationUid: "org-uid-1", orgSlug: "test-org" });
    expect(verified.updatedAt).not.toBe("2025-01-02T03:04:05.000Z");
    expect(await store.get("loc-a")).toEqual(verified);
    const cleared = await store.update("loc-a", { verifiedAt: undefined, state: "deleted" });
    expect(cleared.verifiedAt).toBeUndefined();
    expect(cleared.state).toBe("deleted");
    expect(await store.get("loc-a")).toEqual(cleared);

    expect((await rejection(store.update("loc-missing", { state: "deleted" }))).code).toBe("ERR_LOC_UNKNOWN");
    expect((await rejection(store.update("loc-a", { refreshTokenFile: "/tmp/x" }))).message).toContain("refreshTokenFile cannot be changed");
    expect((await rejection(store.update("loc-a", { clientSecretRef: "literal-secret" }))).code).toBe("ERR_LOC_CREDENTIAL");
    expect(await store.remove("loc-a")).toBe(true);
    expect(await store.remove("loc-a")).toBe(false);
    expect((await store.list()).map((r) => r.locationUid)).toEqual(["loc-b"]);
  });

  it("stores only ciphertext: the raw row never holds the token", async () => {
    const store = open();
    const token = `rt-${randomBytes(12).toString("hex")}`;
    await store.insert(record("loc-1"), { refreshToken: token });
    const row = await rawRow("loc-1");
    expect(row.refresh_token_key_id).toBe("a");
    expect(row.refresh_token_ciphertext?.includes(Buffer.from(token))).toBe(false);
    expect(JSON.stringify(row)).not.toContain(token);
    const dump = await admin.query(`SELECT t::text AS line FROM ${schema}.locations t`);
    expect(dump.rows[0].line).not.toContain(token);
    expect(await store.readRefreshToken(record("loc-1"))).toBe(token);
  });

  it("binds each ciphertext to its location: one copied to another row fails to decrypt", async () => {
    const store = open();
    await store.insert(record("loc-1"), { refreshToken: "rt-one-secret" });
    await store.insert(record("loc-2"), { refreshToken: "rt-two-secret" });
    await admin.query(
      `UPDATE ${schema}.locations SET refresh_token_ciphertext = (SELECT refresh_token_ciphertext FROM ${schema}.locations WHERE location_uid = 'loc-1') WHERE location_uid = 'loc-2'`,
    );
    const err = await rejection(store.readRefreshToken(record("loc-2")));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.locationUid).toBe("loc-2");
    expect(err.message).toContain("belongs to another location");
    expect(err.message).not.toContain("rt-one-secret");
    expect(await store.readRefreshToken(record("loc-1"))).toBe("rt-one-secret");
  });

  it("rotates keys without an outage: old rows readable, new writes under the active key, reencrypt, old key dropped", async () => {
    const v1 = open();
    await v1.insert(record("loc-1"), { refreshToken: "rt-1" });
    await v1.insert(record("loc-2"), { refreshToken: "rt-2" });
    // Step 1+2: key b listed and active; key a still listed for the rows written under it.
    const v2 = open({ keys: new Map([["a", keyA], ["b", keyB]]), activeKeyId: "b" });
    expect(await v2.readRefreshToken(record("loc-1"))).toBe("rt-1");
    await v2.writeRefreshToken(record("loc-2"), "rt-2-rotated");
    expect((await rawRow("loc-2")).refresh_token_key_id).toBe("b");
    expect(await v2.readRefreshToken(record("loc-2"))).toBe("rt-2-rotated");
    // Why every replica must list key b before any makes it active: one that lacks it cannot read this row.
    expect((await rejection(v1.readRefreshToken(record("loc-2")))).message).toContain('key id "b", which is not in credentials.encryption.keys');
    // Without key a, the rows still under it cannot be read, and the error names the key id only.
    const early = open({ keys: new Map([["b", keyB]]), activeKeyId: "b" });
    const err = await rejection(early.readRefreshToken(record("loc-1")));
    expect(err.message).toContain('key id "a"');
    expect(err.message).not.toContain(keyA.toString("hex").slice(0, 16));
    expect(err.message).not.toContain(keyA.toString("base64").slice(0, 16));
    // Step 3: reencrypt rewrites what is not under the active key, and only that.
    expect(await v2.reencrypt()).toEqual({ rewritten: 1 });
    expect((await rawRow("loc-1")).refresh_token_key_id).toBe("b");
    expect((await rawRow("loc-1")).refresh_token_version).toBe("0");
    expect(await v2.reencrypt()).toEqual({ rewritten: 0 });
    // Step 4: key a dropped; everything still reads.
    const v3 = open({ keys: new Map([["b", keyB]]), activeKeyId: "b" });
    expect(await v3.readRefreshToken(record("loc-1"))).toBe("rt-1");
    expect(await v3.readRefreshToken(record("loc-2"))).toBe("rt-2-rotated");
  });

  it("imports the token from the record's file at insert; later imports of that file share it, even across removal", async () => {
    const store = open();
    const file = join(dir, "grant.rt");
    await writeFile(file, "rt-from-file\n", { mode: 0o600 });
    expect(await store.insert(record("loc-1", { refreshTokenFile: file }))).toBe(true);
    expect((await store.get("loc-1"))?.refreshTokenFile).toBe("pg:loc-1");
    expect(await store.readRefreshToken(record("loc-1"))).toBe("rt-from-file");
    // Rotation happens in the database; the operator's file goes stale, and must not be imported again.
    await store.writeRefreshToken(record("loc-1"), "rt-rotated");
    expect(await store.insert(record("loc-2", { refreshTokenFile: file }))).toBe(true);
    expect((await store.get("loc-2"))?.refreshTokenFile).toBe("pg:loc-1");
    expect(await store.readRefreshToken(record("loc-2", { refreshTokenFile: file }))).toBe("rt-rotated");
    expect((await rawRow("loc-2")).refresh_token_ciphertext).toBeNull();
    // Removing the holder hands the token to the location that shares it, re-bound to its uid.
    expect(await store.remove("loc-1")).toBe(true);
    expect((await store.get("loc-2"))?.refreshTokenFile).toBe("pg:loc-2");
    expect(await store.readRefreshToken(record("loc-2"))).toBe("rt-rotated");
    expect(await readFile(file, "utf8")).toBe("rt-from-file\n");
    // A record may also name another location's token directly by its marker.
    expect(await store.insert(record("loc-3", { refreshTokenFile: "pg:loc-2" }))).toBe(true);
    await store.writeRefreshToken(record("loc-3"), "rt-via-3");
    expect(await store.readRefreshToken(record("loc-2"))).toBe("rt-via-3");
  });

  it("replace() gives a location its own new token in one transaction; locations that shared its old token keep that one", async () => {
    const store = open();
    const file = join(dir, "grant.rt");
    await writeFile(file, "rt-shared\n", { mode: 0o600 });
    expect(await store.insert(record("loc-1", { refreshTokenFile: file }))).toBe(true);
    expect(await store.insert(record("loc-2", { refreshTokenFile: file }))).toBe(true);
    expect(await store.insert(record("loc-3"), { refreshToken: "rt-3" })).toBe(true);
    const versionBefore = Number((await rawRow("loc-1")).refresh_token_version);

    // loc-1 holds the token loc-2 shares: after the replacement loc-2 holds the old one, loc-1 its new one.
    const replaced = await store.replace(record("loc-1", { refreshTokenFile: join(dir, "ignored"), clientIdRef: "env:OTHER_ID", name: "Sydney" }), { refreshToken: "rt-new-1" });
    expect(replaced).toMatchObject({ locationUid: "loc-1", clientIdRef: "env:OTHER_ID", name: "Sydney", refreshTokenFile: "pg:loc-1" });
    expect(await store.readRefreshToken(record("loc-1"))).toBe("rt-new-1");
    expect(await store.readRefreshToken(record("loc-2"))).toBe("rt-shared");
    expect((await store.get("loc-2"))?.refreshTokenFile).toBe("pg:loc-2");
    expect(Number((await rawRow("loc-1")).refresh_token_version)).toBe(versionBefore + 1);
    // A later import of the same file shares loc-2's token (the source moved with it), not loc-1's new one.
    expect(await store.insert(record("loc-4", { refreshTokenFile: file }))).toBe(true);
    expect(await store.readRefreshToken(record("loc-4"))).toBe("rt-shared");
    // A location that pointed at another's token gets its own.
    await store.replace(record("loc-4"), { refreshToken: "rt-new-4" });
    expect(await store.readRefreshToken(record("loc-4"))).toBe("rt-new-4");
    expect(await store.readRefreshToken(record("loc-2"))).toBe("rt-shared");
    expect(await store.readRefreshToken(record("loc-3"))).toBe("rt-3");
    // Unknown: refused, nothing written.
    expect((await rejection(store.replace(record("loc-nope"), { refreshToken: "x" }))).code).toBe("ERR_LOC_UNKNOWN");
  });

  it("keeps one token when two replicas first import the same file at once", async () => {
    const [one, two] = [open(), open()];
    await one.list(); // tables exist before the table lock below
    const file = join(dir, "shared.rt");
    await writeFile(file, "rt-shared\n", { mode: 0o600 });
    // Hold inserts back until both replicas have looked for a holder of this file and found none.
    const gate = await admin.connect();
    try {
      await gate.query("BEGIN");
      await gate.query(`LOCK TABLE ${schema}.locations IN SHARE ROW EXCLUSIVE MODE`);
      const inserted = Promise.all([one.insert(record("loc-a", { refreshTokenFile: file })), two.insert(record("loc-b", { refreshTokenFile: file }))]);
      const waiting = async () =>
        (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`INSERT INTO ${schema}.locations%`])).rows[0].n;
      while ((await waiting()) < 2) await new Promise((r) => setTimeout(r, 10));
      await gate.query("COMMIT");
      expect(await inserted).toEqual([true, true]);
    } finally {
      gate.release();
    }
    const holders = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.locations WHERE refresh_token_ciphertext IS NOT NULL`);
    expect(holders.rows[0].n).toBe(1);
    expect(new Set((await one.list()).map((r) => r.refreshTokenFile)).size).toBe(1);
    expect(await two.readRefreshToken(record("loc-b"))).toBe("rt-shared");
    expect(await one.readRefreshToken(record("loc-a"))).toBe("rt-shared");
  });

  it("serves a record not stored yet from its file (onboarding rotates the token before it inserts)", async () => {
    const store = open();
    const file = join(dir, "new.rt");
    await writeFile(file, "rt-0\n", { mode: 0o600 });
    const pending = record("loc-new", { refreshTokenFile: file });
    expect(await store.readRefreshToken(pending)).toBe("rt-0");
    const coordination = refreshCoordinationFor(store, pending) as RefreshCoordination;
    expect(await coordination.withLock(() => coordination.read())).toEqual({ token: "rt-0", version: 0 });
    await store.writeRefreshToken(pending, "rt-1");
    expect(await readFile(file, "utf8")).toBe("rt-1\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await store.insert(pending)).toBe(true);
    expect(await store.readRefreshToken(pending)).toBe("rt-1");
    await store.writeRefreshToken(pending, "rt-2");
    expect(await readFile(file, "utf8")).toBe("rt-1\n"); // stored now: the database has it
    expect(await store.readRefreshToken(record("loc-new"))).toBe("rt-2");
  });

  it("names what is wrong with a missing token file, an empty token or an unknown location", async () => {
    const store = open();
    const missing = join(dir, "missing.rt");
    const err = await rejection(store.insert(record("loc-1", { refreshTokenFile: missing })));
    expect(err.message).toContain(`refresh-token file ${missing} does not exist`);
    expect(await store.list()).toEqual([]);
    expect((await rejection(store.insert(record("loc-1")))).message).toContain("has no refresh token to store");
    expect((await rejection(store.insert(record("loc-1"), { refreshToken: "  " }))).message).toContain("it is empty");
    expect((await rejection(store.insert(record("loc-2", { refreshTokenFile: "pg:loc-404" })))).message).toContain("location loc-404 is not in the store");
    expect((await rejection(store.readRefreshToken(record("loc-404")))).code).toBe("ERR_LOC_UNKNOWN");
    expect((await rejection(store.writeRefreshToken(record("loc-404"), "rt"))).code).toBe("ERR_LOC_UNKNOWN");
    expect((await rejection(store.withRefreshLock("loc-404", "me", 1000, async () => 1))).code).toBe("ERR_LOC_UNKNOWN");
  });

  it("writes with a version check: a stale writer is refused and changes nothing", async () => {
    const store = open();
    await store.insert(record("loc-1"), { refreshToken: "rt-0" });
    const seen = await store.readRefreshTokenVersioned(record("loc-1"));
    expect(seen).toEqual({ token: "rt-0", version: 0 });
    await store.writeRefreshToken(record("loc-1"), "rt-1", seen.version);
    expect(await store.readRefreshTokenVersioned(record("loc-1"))).toEqual({ token: "rt-1", version: 1 });
    const err = await rejection(store.writeRefreshToken(record("loc-1"), "rt-stale", seen.version));
    expect(isRefreshTokenConflict(err)).toBe(true);
    expect(err).toMatchObject({ code: "ERR_LOC_CREDENTIAL", locationUid: "loc-1", expectedVersion: 0, storedVersion: 1 });
    expect(err.message).toContain("re-read");
    expect(err.message).not.toContain("rt-stale");
    expect(await store.readRefreshTokenVersioned(record("loc-1"))).toEqual({ token: "rt-1", version: 1 });
  });

  it("lets one owner hold the refresh lock at a time; the next waits for the release", async () => {
    const [one, two] = [open(), open()];
    await one.insert(record("loc-1"), { refreshToken: "rt-0" });
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = one.withRefreshLock("loc-1", "owner-1", 10_000, async () => {
      events.push("1 in");
      await held;
      events.push("1 out");
      return "one";
    });
    while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((await rawRow("loc-1")).refresh_lock_owner).toBe("owner-1");
    const second = two.withRefreshLock("loc-1", "owner-2", 10_000, async () => {
      events.push("2 in");
      return (await rawRow("loc-1")).refresh_lock_owner;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(["1 in"]);
    release();
    expect(await first).toBe("one");
    expect(await second).toBe("owner-2");
    expect(events).toEqual(["1 in", "1 out", "2 in"]);
    expect((await rawRow("loc-1")).refresh_lock_owner).toBeNull();
  });

  it("lets an expired lock be taken over, and the late holder's release leaves the new owner's lock alone", async () => {
    const [one, two] = [open(), open()];
    await one.insert(record("loc-1"), { refreshToken: "rt-0" });
    let finishTwo!: () => void;
    const twoMayFinish = new Promise<void>((r) => (finishTwo = r));
    let twoInside!: () => void;
    const twoEntered = new Promise<void>((r) => (twoInside = r));
    const slow = one.withRefreshLock("loc-1", "owner-slow", 150, async () => {
      const { version } = await one.readRefreshTokenVersioned(record("loc-1"));
      await twoEntered; // stalls past its ttl while owner-new takes over
      return version;
    });
    await new Promise((r) => setTimeout(r, 20));
    const fresh = two.withRefreshLock("loc-1", "owner-new", 10_000, async () => {
      const seen = await two.readRefreshTokenVersioned(record("loc-1"));
      await two.writeRefreshToken(record("loc-1"), "rt-new", seen.version);
      twoInside();
      await twoMayFinish;
    });
    const staleVersion = await slow;
    // The slow holder is done; its compare-and-delete release did not clear owner-new's lock.
    expect((await rawRow("loc-1")).refresh_lock_owner).toBe("owner-new");
    // And its version-checked write is fenced out.
    const err = await rejection(one.writeRefreshToken(record("loc-1"), "rt-slow", staleVersion));
    expect(isRefreshTokenConflict(err)).toBe(true);
    finishTwo();
    await fresh;
    expect((await rawRow("loc-1")).refresh_lock_owner).toBeNull();
    expect(await one.readRefreshToken(record("loc-1"))).toBe("rt-new");
  });
});
