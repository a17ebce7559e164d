import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialStore } from "./create-credential-store.js";
import type { LocationRecord } from "./credential-store.js";
import { validateSettings } from "../settings/settings.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../testing/services.js";

const postgres = await requirePostgres();

function credentials(raw: Record<string, unknown>) {
  return validateSettings({ credentials: raw }).credentials;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

const record = (uid: string, refreshTokenFile: string): LocationRecord => ({
  locationUid: uid,
  orgSlug: "org",
  clientIdRef: "env:CLIENT_ID",
  clientSecretRef: "env:CLIENT_SECRET",
  refreshTokenFile,
  state: "active",
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
});

describe("createCredentialStore()", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "create-store-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens the file store for backend file, at credentials.path", async () => {
    const path = join(dir, "locations.json");
    await writeFile(join(dir, "rt"), "rt-file\n", { mode: 0o600 });
    const store = await createCredentialStore(credentials({ path }), {});
    expect(await store.insert(record("loc-1", join(dir, "rt")))).toBe(true);
    expect(await store.readRefreshToken(record("loc-1", join(dir, "rt")))).toBe("rt-file");
    expect(store.withRefreshLock).toBeUndefined();
    await store.close();
  });

  it("names the variable and the key id when a key's reference cannot be resolved", async () => {
    const err = await rejection(createCredentialStore(credentials({ backend: "postgres", encryption: { keys: { k1: "env:PR_TEST_KEY_UNSET" } } }), {}));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toContain("environment variable PR_TEST_KEY_UNSET (credentials.encryption.keys.k1) is not set");
  });

  it("refuses a key of the wrong length, naming the key id and its reference, never the material", async () => {
    const short = randomBytes(16).toString("base64");
    const err = await rejection(createCredentialStore(credentials({ backend: "postgres", encryption: { keys: { k1: "env:PR_TEST_KEY" } } }), { PR_TEST_KEY: short }));
    expect(err.code).toBe("ERR_LOC_CONFIG");
    expect(err.message).toContain("credentials.encryption.keys.k1 (env:PR_TEST_KEY) must be a 32-byte key");
    expect(err.message).toContain("it decodes to 16 bytes");
    expect(err.message).not.toContain(short.slice(0, 12));
  });

  it.skipIf(!postgres)(`opens the PostgreSQL store with keys from env: and file: references${absentNote("PostgreSQL", postgres)}`, async () => {
    const schema = testSchemaName();
    const keyFile = join(dir, "k2.key");
    await writeFile(keyFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    const settings = credentials({
      backend: "postgres",
      postgres: { url: TEST_POSTGRES_URL, schema, pool_max: 2 },
      encryption: { keys: { k1: "env:PR_TEST_KEY", k2: `file:${keyFile}` }, active_key_id: "k2" },
    });
    const store = await createCredentialStore(settings, { PR_TEST_KEY: randomBytes(32).toString("base64") });
    try {
      expect(await store.insert(record("loc-1", "pg:loc-1"), { refreshToken: "rt-pg" })).toBe(true);
      expect(await store.readRefreshToken(record("loc-1", "pg:loc-1"))).toBe("rt-pg");
      expect(typeof store.withRefreshLock).toBe("function");
    } finally {
      await store.close();
      await dropTestSchema(schema);
    }
  });
});
