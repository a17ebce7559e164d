import { describe, expect, it } from "vitest";
import { createRouterClient } from "./router-client.js";
import { createFakeRouter } from "./testing/fake-router.js";

const doc = (n: number): string => JSON.stringify({ data: { uid: `k-${n}`, locationUid: "loc-a" }, metadata: { event_type: "call.received", version: "2021.04.01" } });

describe("LocationHandle.events()", () => {
  it("reconnects from the last cursor when the stream ends, so nothing is skipped and nothing repeats", async () => {
    const log = [{ eventType: "call.received", body: doc(1) }, { eventType: "call.received", body: doc(2) }];
    const fake = createFakeRouter({ locations: [{ locationUid: "loc-a", orgSlug: "org" }], events: { "loc-a": log } });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const abort = new AbortController();
    const got: string[] = [];
    const reconnects: Array<string | undefined> = [];
    // The fake ends each stream at the end of its log; more events arrive while the subscriber reconnects.
    const onReconnect = (why: Error | undefined): void => {
      reconnects.push(why?.message);
      if (reconnects.length === 1) log.push({ eventType: "call.received", body: doc(3) }, { eventType: "call.received", body: doc(4) });
    };
    for await (const e of client.location("loc-a").events({ signal: abort.signal, onReconnect })) {
      got.push(e.cursor);
      if (got.length === 4) abort.abort();
    }
    expect(got).toEqual(["1", "2", "3", "4"]);
    expect(reconnects).toEqual([undefined]);
    const watches = fake.received.filter((r) => r.method === "WatchEvents");
    expect(watches).toHaveLength(2);
  });

  it("throws refusals instead of reconnecting: an unknown location", async () => {
    const fake = createFakeRouter({ locations: [] });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const run = async (): Promise<void> => {
      for await (const _ of client.location("loc-x").events()) return;
    };
    await expect(run()).rejects.toMatchObject({ code: "ERR_LOC_UNKNOWN" });
  });

  it("stops after one stream with reconnect: false", async () => {
    const fake = createFakeRouter({ locations: [{ locationUid: "loc-a", orgSlug: "org" }], events: { "loc-a": [{ eventType: "call.received", body: doc(1) }] } });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const got: string[] = [];
    for await (const e of client.location("loc-a").events({ reconnect: false })) got.push(e.cursor);
    expect(got).toEqual(["1"]);
  });
});
