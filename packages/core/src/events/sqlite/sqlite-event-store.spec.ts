import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventStoreContract, testEvent } from "../../testing/event-store-contract.js";
import type { EventStore } from "../event-store.js";
import { createSqliteEventStore } from "./sqlite-event-store.js";

const dir = mkdtempSync(join(tmpdir(), "events-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const paths = new WeakMap<EventStore, string>();

function open(): Promise<EventStore> {
  const path = join(dir, `log-${++n}`, "events.sqlite");
  const store = createSqliteEventStore({ path });
  paths.set(store, path);
  return Promise.resolve(store);
}

describe("createSqliteEventStore()", () => {
  eventStoreContract(open, async (first) => {
    const path = paths.get(first) as string;
    await first.close();
    return createSqliteEventStore({ path });
  });

  it("creates its file and write-ahead log readable by the owner only, in a 0700 directory", async () => {
    const store = await open();
    try {
      await store.append([testEvent("loc-a")]);
      const path = paths.get(store) as string;
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
      expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    } finally {
      await store.close();
    }
  });

  it("refuses a file that is not an event log with ERR_LOC_EVENT_STORE_UNAVAILABLE naming it", () => {
    const path = join(dir, "not-sqlite");
    writeFileSync(path, "this is not a database, only text long enough to have a header....................................................");
    expect(() => createSqliteEventStore({ path })).toThrow(expect.objectContaining({ code: "ERR_LOC_EVENT_STORE_UNAVAILABLE", message: expect.stringContaining(path) }));
  });

  it("refuses appends after close with ERR_LOC_EVENT_STORE_UNAVAILABLE", async () => {
    const store = await open();
    await store.close();
    await expect(store.append([testEvent("loc-a")])).rejects.toMatchObject({ code: "ERR_LOC_EVENT_STORE_UNAVAILABLE" });
  });
});
