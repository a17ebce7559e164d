import { describe, expect, it } from "vitest";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const doc = (eventType: string, uid: string): string => JSON.stringify({ data: { uid, locationUid: "loc-sydney" }, metadata: { event_type: eventType, version: "2021.04.01" } });
const router = {
  locations: [{ locationUid: "loc-sydney", orgSlug: "coastal-smiles" }],
  events: {
    "loc-sydney": [
      { eventType: "call.received", body: doc("call.received", "k-1") },
      { eventType: "contact.created", body: doc("contact.created", "c-1") },
      { eventType: "call.missed", body: doc("call.missed", "k-2") },
    ],
  },
};

describe("eventsTailCommand()", () => {
  it("prints one JSON line per event, oldest first, with Podium's document as `event`", async () => {
    const run = await runWithFakeRouter(["events", "tail", "--location-uid", "loc-sydney", "--from-start", "--count", "3"], { router });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.cursor, l.event_type, l.event.data.uid])).toEqual([["1", "call.received", "k-1"], ["2", "contact.created", "c-1"], ["3", "call.missed", "k-2"]]);
    expect(lines[0]).toEqual({ cursor: "1", location_uid: "loc-sydney", event_type: "call.received", event_id: "fake-event-1", received_at: "2026-01-01T00:00:00.000Z", event: JSON.parse(doc("call.received", "k-1")) });
    expect(run.fake.received.map((r) => r.method)).toEqual(["WatchEvents"]);
  });

  it("resumes after a cursor and filters by type", async () => {
    const run = await runWithFakeRouter(["events", "tail", "--location-uid", "loc-sydney", "--after-cursor", "1", "--event-types", "call.missed,call.received", "--count", "1"], { router });
    expect(run.stdout.trim().split("\n").map((l) => JSON.parse(l).cursor)).toEqual(["3"]);
  });

  it("exits 1 for a location the router does not know, and 2 for a malformed cursor", async () => {
    const unknown = await runWithFakeRouter(["events", "tail", "--location-uid", "loc-nowhere", "--count", "1"], { router });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ERR_LOC_UNKNOWN/);
    const bad = await runWithFakeRouter(["events", "tail", "--location-uid", "loc-sydney", "--after-cursor", "abc"], { router });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--after-cursor must be a cursor/);
    expect((await runWithFakeRouter(["events", "follow", "--location-uid", "loc-sydney"], { router })).code).toBe(2);
  });
});
