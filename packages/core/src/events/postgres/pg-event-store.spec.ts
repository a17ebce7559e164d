import { afterAll, describe, expect, it } from "vitest";
import { eventStoreContract, testEvent } from "../../testing/event-store-contract.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../../testing/services.js";
import type { EventStore } from "../event-store.js";
import { createPgEventStore } from "./pg-event-store.js";

const postgres = await requirePostgres();
const schemas: string[] = [];
const schemaOf = new WeakMap<EventStore, string>();
afterAll(async () => {
  for (const s of schemas) await dropTestSchema(s);
});

async function open(schema = testSchemaName()): Promise<EventStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = await createPgEventStore({ url: TEST_POSTGRES_URL, schema, poolMax: 4 });
  schemaOf.set(store, schema);
  return store;
}

describe.skipIf(!postgres)(`createPgEventStore()${absentNote("PostgreSQL", postgres)}`, () => {
  // A second handle on the same schema is a second replica (or a restart).
  eventStoreContract(() => open(), (first) => open(schemaOf.get(first)));

  it("numbers one location's events without gaps or duplicates while two replicas append at once", async () => {
    const a = await open();
    const b = await open(schemaOf.get(a));
    try {
      const events = Array.from({ length: 40 }, () => testEvent("loc-shared"));
      // Every event reaches both replicas (Podium's retry after a lost answer can land on the other one).
      const outcomes = (await Promise.all(events.flatMap((e) => [a.append([e]), b.append([{ ...e, requestHash: "other" }])]))).flat();
      const stored = outcomes.filter((o) => o.stored).map((o) => o.seq).sort((x, y) => x - y);
      expect(stored).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await a.read("loc-shared", 0, 100)).events).toHaveLength(40);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("wakes a reader on another replica through NOTIFY when an event is stored", async () => {
    const writer = await open();
    const reader = await open(schemaOf.get(writer));
    try {
      const seen: string[] = [];
      reader.onAppended((uid, seq) => seen.push(`${uid}:${seq}`));
      // The LISTEN connection is opened on the first listener; give it a moment.
      await new Promise((r) => setTimeout(r, 300));
      await writer.append([testEvent("loc-notify")]);
      for (const until = Date.now() + 5_000; seen.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(["loc-notify:1"]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("refuses with ERR_LOC_EVENT_STORE_UNAVAILABLE naming host:port, never the URL, when PostgreSQL is unreachable", async () => {
    const err = await createPgEventStore({ url: "postgres://user:secretpw@127.0.0.1:1/test", schema: testSchemaName(), poolMax: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_EVENT_STORE_UNAVAILABLE", message: expect.stringContaining("127.0.0.1:1") });
    expect((err as Error).message).not.toContain("secretpw");
  });
});
