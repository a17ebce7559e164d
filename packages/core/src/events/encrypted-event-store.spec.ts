import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretCipher } from "../credentials/index.js";
import { validateSettings } from "../settings/index.js";
import { eventStoreContract, testEvent } from "../testing/event-store-contract.js";
import { createEventStore } from "./create-event-stores.js";
import { withEncryptedBodies } from "./encrypted-event-store.js";
import type { EventStore } from "./event-store.js";
import { createSqliteEventStore } from "./sqlite/sqlite-event-store.js";

const SYDNEY = "c0a57a15-5e11-4000-8000-000000000001";
const dir = mkdtempSync(join(tmpdir(), "events-encrypted-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const cipherWith = (keys: Record<string, Buffer>, activeKeyId: string) => createSecretCipher({ keys: new Map(Object.entries(keys)), activeKeyId });
let n = 0;
const paths = new WeakMap<EventStore, string>();

/** A sealed store over a fresh SQLite file; the file's path is kept for the raw reads below. */
function open(cipher = cipherWith({ k1 }, "k1")): EventStore {
  const path = join(dir, `log-${++n}`, "events.sqlite");
  const store = withEncryptedBodies(createSqliteEventStore({ path }), cipher);
  paths.set(store, path);
  return store;
}
/** The bodies as the SQLite file holds them. */
function rawBodies(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT body FROM events ORDER BY seq").all() as Array<{ body: string }>).map((r) => r.body);
  } finally {
    db.close();
  }
}
const PII = { data: { uid: "c-1", name: "Amelia Sydney", phoneNumbers: ["+61400100011"], emails: ["amelia.sydney@patients.example"] }, metadata: { event_type: "contact.updated", version: "2021.04.01" } };

describe("withEncryptedBodies() over SQLite", () => {
  // Everything an event store promises still holds with sealed bodies.
  eventStoreContract(
    async () => open(),
    async (first) => {
      const path = paths.get(first) as string;
      await first.close();
      return withEncryptedBodies(createSqliteEventStore({ path }), cipherWith({ k1 }, "k1"));
    },
  );

  it("stores no customer data in the file, and reads the document back as it was received", async () => {
    const store = open();
    const body = JSON.stringify(PII);
    try {
      expect(await store.append([testEvent(SYDNEY, { body })])).toEqual([{ stored: true, seq: 1 }]);
      expect((await store.read(SYDNEY, 0, 10)).events.map((e) => e.body)).toEqual([body]);
    } finally {
      await store.close();
    }
    const path = paths.get(store) as string;
    expect(rawBodies(path)).toEqual([expect.stringMatching(/^enc1:k1:[A-Za-z0-9+/]+=*$/)]);
    // Nor anywhere else in the file or its write-ahead log.
    for (const f of [path, `${path}-wal`]) {
      let bytes = "";
      try {
        bytes = readFileSync(f).toString("latin1");
      } catch {
        continue;
      }
      expect(bytes).not.toMatch(/Amelia|61400100011|patients\.example/);
    }
  });

  it("reads bodies stored before encryption was turned on, and those of a retired key while it is still listed", async () => {
    const path = join(dir, "mixed", "events.sqlite");
    const plain = createSqliteEventStore({ path });
    await plain.append([testEvent(SYDNEY, { body: '{"data":{"n":"plain"}}' })]);
    await plain.close();
    const first = withEncryptedBodies(createSqliteEventStore({ path }), cipherWith({ k1 }, "k1"));
    await first.append([testEvent(SYDNEY, { body: '{"data":{"n":"k1"}}' })]);
    await first.close();
    // Rotated: k2 seals new events, k1 still opens the old ones.
    const rotated = withEncryptedBodies(createSqliteEventStore({ path }), cipherWith({ k1, k2 }, "k2"));
    try {
      await rotated.append([testEvent(SYDNEY, { body: '{"data":{"n":"k2"}}' })]);
      expect((await rotated.read(SYDNEY, 0, 10)).events.map((e) => e.body)).toEqual(['{"data":{"n":"plain"}}', '{"data":{"n":"k1"}}', '{"data":{"n":"k2"}}']);
    } finally {
      await rotated.close();
    }
    expect(rawBodies(path).map((b) => b.slice(0, 8))).toEqual(['{"data":', "enc1:k1:", "enc1:k2:"]);
  });

  it("refuses with ERR_LOC_EVENT_STORE_UNAVAILABLE, naming the key id, a body whose key is gone, changed, or that was moved to another row", async () => {
    const path = join(dir, "refusals", "events.sqlite");
    const first = withEncryptedBodies(createSqliteEventStore({ path }), cipherWith({ k1 }, "k1"));
    await first.append([testEvent(SYDNEY), testEvent(SYDNEY)]);
    await first.close();
    const readWith = async (cipher: ReturnType<typeof cipherWith>) => {
      const s = withEncryptedBodies(createSqliteEventStore({ path }), cipher);
      try {
        return await s.read(SYDNEY, 0, 10).then(() => "read", (err: { code: string; message: string }) => `${err.code}: ${err.message}`);
      } finally {
        await s.close();
      }
    };
    expect(await readWith(cipherWith({ k2 }, "k2"))).toMatch(/^ERR_LOC_EVENT_STORE_UNAVAILABLE: .*event 1 .*key id "k1", which is not in credentials\.encryption\.keys/);
    expect(await readWith(cipherWith({ k1: k2 }, "k1"))).toMatch(/^ERR_LOC_EVENT_STORE_UNAVAILABLE: .*event 1 .*does not open with encryption key id "k1"/);
    // The second event's sealed body copied onto the first row: bound to its own event id, it does not open there.
    const db = new Database(path);
    db.prepare("UPDATE events SET body = (SELECT body FROM events WHERE seq = 2) WHERE seq = 1").run();
    db.close();
    expect(await readWith(cipherWith({ k1 }, "k1"))).toMatch(/^ERR_LOC_EVENT_STORE_UNAVAILABLE: .*event 1 .*does not open/);
  });

  it("is what createEventStore() builds when credentials.encryption.keys lists a key, and plain SQLite otherwise", async () => {
    const env = { EVENTS_KEY: k1.toString("base64") };
    const base = { credentials: { path: join(dir, "locations.json") } };
    const sealedPath = join(dir, "from-settings", "events.sqlite");
    const sealed = await createEventStore(validateSettings({ ...base, credentials: { ...base.credentials, encryption: { keys: { k1: "env:EVENTS_KEY" } } }, events: { enabled: true, path: sealedPath } }), env);
    await sealed.append([testEvent(SYDNEY, { body: JSON.stringify(PII) })]);
    await sealed.close();
    expect(rawBodies(sealedPath)[0]).toMatch(/^enc1:k1:/);
    const plainPath = join(dir, "from-settings-plain", "events.sqlite");
    const plain = await createEventStore(validateSettings({ ...base, events: { enabled: true, path: plainPath } }), env);
    await plain.append([testEvent(SYDNEY, { body: JSON.stringify(PII) })]);
    await plain.close();
    expect(rawBodies(plainPath)[0]).toBe(JSON.stringify(PII));
  });
});

describe("sealed bodies in the PostgreSQL event log", async () => {
  const { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } = await import("../testing/services.js");
  const pg = await import("pg");
  const postgres = await requirePostgres();
  it.skipIf(!postgres)(`keeps no customer data in the events table with the postgres backend${absentNote("PostgreSQL", postgres)}`, async () => {
    const schema = testSchemaName();
    const settings = validateSettings({
      credentials: { backend: "postgres", postgres: { url: TEST_POSTGRES_URL, schema }, encryption: { keys: { k1: "env:EVENTS_KEY" } } },
      events: { enabled: true, backend: "postgres" },
    });
    const store = await createEventStore(settings, { EVENTS_KEY: k1.toString("hex") });
    const client = new pg.default.Client({ connectionString: TEST_POSTGRES_URL });
    try {
      await store.append([testEvent(SYDNEY, { body: JSON.stringify(PII) })]);
      expect((await store.read(SYDNEY, 0, 10)).events.map((e) => JSON.parse(e.body) as unknown)).toEqual([PII]);
      await client.connect();
      const rows = (await client.query<{ body: string }>(`SELECT body FROM ${schema}.events`)).rows;
      expect(rows.map((r) => r.body)).toEqual([expect.stringMatching(/^enc1:k1:/)]);
      expect(rows[0]!.body).not.toMatch(/Amelia|61400100011/);
    } finally {
      await client.end().catch(() => undefined);
      await store.close();
      await dropTestSchema(schema);
    }
  });
});

