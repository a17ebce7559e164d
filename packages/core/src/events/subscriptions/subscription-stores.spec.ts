import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretCipher } from "../../credentials/index.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../../testing/services.js";
import { createPgSubscriptionStore, reencryptPgSubscriptionSecrets } from "../postgres/pg-subscription-store.js";
import { createFileSubscriptionStore } from "./file-subscription-store.js";
import { newSubscriptionId, type SubscriptionStore, type WebhookSubscription } from "./subscription-store.js";

const sub = (over: Partial<WebhookSubscription> = {}): WebhookSubscription => ({
  subscriptionId: newSubscriptionId(randomBytes),
  scope: "location",
  locationUid: "c0a57a15-5e11-4000-8000-000000000001",
  orgSlug: "coastal-smiles",
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
  ...over,
});

function contract(open: () => Promise<SubscriptionStore>): void {
  it("keeps subscriptions with their secrets, replaces them by id, and removes them", async () => {
    const store = await open();
    try {
      const a = sub();
      const b = sub({ scope: "organization", organizationUid: "org-1", podiumWebhookUid: "w-1" });
      await store.put(a, "secret-a");
      await store.put(b, "secret-b");
      expect((await store.list()).map((s) => s.subscriptionId).sort()).toEqual([a.subscriptionId, b.subscriptionId].sort());
      expect(await store.get(b.subscriptionId)).toEqual({ subscription: b, secret: "secret-b" });
      await store.put({ ...a, podiumWebhookUid: "w-2" }, "secret-a2");
      expect(await store.get(a.subscriptionId)).toEqual({ subscription: { ...a, podiumWebhookUid: "w-2" }, secret: "secret-a2" });
      expect(await store.remove(a.subscriptionId)).toBe(true);
      expect(await store.remove(a.subscriptionId)).toBe(false);
      expect(await store.get(a.subscriptionId)).toBeUndefined();
      expect(await store.get("sub_nosuchsubscription0000")).toBeUndefined();
    } finally {
      await store.close();
    }
  });
}

describe("createFileSubscriptionStore()", () => {
  const dir = mkdtempSync(join(tmpdir(), "subs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  contract(async () => createFileSubscriptionStore(join(dir, `s${++n}`, "subs.json")));

  it("keeps each secret in its own 0600 file beside the 0600 subscriptions file, which holds no secret", async () => {
    const path = join(dir, "own", "subs.json");
    const store = createFileSubscriptionStore(path);
    const s = sub();
    await store.put(s, "the-secret-value");
    await store.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).not.toContain("the-secret-value");
    const secrets = join(dir, "own", "webhook-secrets");
    expect(readdirSync(secrets)).toEqual([`${s.subscriptionId}.secret`]);
    expect(statSync(join(secrets, `${s.subscriptionId}.secret`)).mode & 0o777).toBe(0o600);
    // A new process reads them back.
    expect((await createFileSubscriptionStore(path).get(s.subscriptionId))?.secret).toBe("the-secret-value");
  });
});

const postgres = await requirePostgres();
describe.skipIf(!postgres)(`createPgSubscriptionStore()${absentNote("PostgreSQL", postgres)}`, () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropTestSchema(s);
  });
  const key = randomBytes(32);
  const cipher = createSecretCipher({ keys: new Map([["k1", key]]), activeKeyId: "k1" });
  const open = async (schema = testSchemaName()): Promise<SubscriptionStore> => {
    schemas.push(schema);
    return createPgSubscriptionStore({ url: TEST_POSTGRES_URL, schema, poolMax: 2 }, cipher);
  };
  contract(() => open());

  it("stores the secret encrypted, bound to its subscription: a ciphertext moved to another row does not decrypt", async () => {
    const schema = testSchemaName();
    const store = await open(schema);
    const a = sub();
    const b = sub();
    await store.put(a, "secret-of-a");
    await store.put(b, "secret-of-b");
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const rows = (await client.query(`SELECT encode(secret_ciphertext, 'escape') AS c FROM ${schema}.webhook_subscriptions`)).rows as Array<{ c: string }>;
      expect(rows.some((r) => r.c.includes("secret-of"))).toBe(false);
      await client.query(`UPDATE ${schema}.webhook_subscriptions SET secret_ciphertext = (SELECT secret_ciphertext FROM ${schema}.webhook_subscriptions WHERE subscription_id = $1) WHERE subscription_id = $2`, [a.subscriptionId, b.subscriptionId]);
      await expect(store.get(b.subscriptionId)).rejects.toMatchObject({ code: "ERR_LOC_CREDENTIAL" });
    } finally {
      await client.end();
      await store.close();
    }
  });

  it("re-encrypts every secret under a new active key (key rotation); a database without the table is left alone", async () => {
    const schema = testSchemaName();
    const store = await open(schema);
    const [a, b] = [sub(), sub()];
    await store.put(a, "secret-of-a");
    await store.put(b, "secret-of-b");
    await store.close();
    const k2 = randomBytes(32);
    const rotating = createSecretCipher({ keys: new Map([["k1", key], ["k2", k2]]), activeKeyId: "k2" });
    const options = { url: TEST_POSTGRES_URL, schema, poolMax: 2 };
    expect(await reencryptPgSubscriptionSecrets(options, rotating)).toEqual({ rewritten: 2, secretsByKey: { k2: 2 } });
    expect(await reencryptPgSubscriptionSecrets(options, rotating)).toEqual({ rewritten: 0, secretsByKey: { k2: 2 } });
    // k1 dropped: the secrets still read.
    const after = await createPgSubscriptionStore(options, createSecretCipher({ keys: new Map([["k2", k2]]), activeKeyId: "k2" }));
    try {
      expect((await after.get(a.subscriptionId))?.secret).toBe("secret-of-a");
      expect((await after.get(b.subscriptionId))?.secret).toBe("secret-of-b");
    } finally {
      await after.close();
    }
    const empty = testSchemaName();
    schemas.push(empty);
    expect(await reencryptPgSubscriptionSecrets({ ...options, schema: empty }, rotating)).toEqual({ rewritten: 0, secretsByKey: {} });
  });
});
