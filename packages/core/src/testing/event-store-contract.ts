/**
 * The EventStore contract as tests: both backends (SQLite, PostgreSQL) run the same cases against a real store.
 * Test-only: excluded from the library build.
 */
import { expect, it } from "vitest";
import type { AppendEvent, EventStore } from "../events/index.js";

const SYDNEY = "c0a57a15-5e11-4000-8000-000000000001";
const BURLEIGH = "c0a57a15-5e11-4000-8000-000000000002";

let n = 0;
/** A distinct event for a location (ids and bodies unique unless given). */
export function testEvent(locationUid: string, over: Partial<AppendEvent> = {}): AppendEvent {
  n++;
  return {
    locationUid,
    eventId: n.toString(16).padStart(64, "0"),
    eventType: "contact.created",
    receivedAt: Date.now(),
    subscriptionId: "sub_aaaaaaaaaaaaaaaaaaaaaa",
    requestHash: `r${n}`,
    body: JSON.stringify({ data: { n }, metadata: { event_type: "contact.created", version: "2021.04.01" } }),
    ...over,
  };
}

/**
 * Registers the contract's cases. `open` returns a fresh, empty store; `reopen` a second handle on the same data
 * (a restart, or another replica).
 */
export function eventStoreContract(open: () => Promise<EventStore>, reopen: (first: EventStore) => Promise<EventStore>): void {
  it("numbers each location's events 1, 2, 3 … without gaps, independently per location", async () => {
    const store = await open();
    try {
      const out = await store.append([testEvent(SYDNEY), testEvent(BURLEIGH), testEvent(SYDNEY)]);
      expect(out).toEqual([{ stored: true, seq: 1 }, { stored: true, seq: 1 }, { stored: true, seq: 2 }]);
      expect(await store.head(SYDNEY)).toEqual({ lastSeq: 2, prunedThrough: 0 });
      expect(await store.head("nowhere")).toEqual({ lastSeq: 0, prunedThrough: 0 });
    } finally {
      await store.close();
    }
  });

  it("stores an event id once per location; the same request again is a replay, a fresh one a duplicate", async () => {
    const store = await open();
    try {
      const e = testEvent(SYDNEY);
      expect(await store.append([e])).toEqual([{ stored: true, seq: 1 }]);
      expect(await store.append([e])).toEqual([{ stored: false, seq: 1, replay: true }]);
      expect(await store.append([{ ...e, requestHash: "another attempt" }])).toEqual([{ stored: false, seq: 1, replay: false }]);
      // The same event for another location (an organization webhook) is that location's own.
      expect(await store.append([{ ...e, locationUid: BURLEIGH }])).toEqual([{ stored: true, seq: 1 }]);
      expect((await store.read(SYDNEY, 0, 10)).events).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("keeps concurrent appends gap-free and deduplicated (group commit)", async () => {
    const store = await open();
    try {
      const events = Array.from({ length: 50 }, () => testEvent(SYDNEY));
      const outcomes = (await Promise.all([...events, ...events.slice(0, 10)].map((e) => store.append([e])))).flat();
      expect(outcomes.filter((o) => o.stored)).toHaveLength(50);
      expect(outcomes.filter((o) => o.stored).map((o) => o.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const page = await store.read(SYDNEY, 0, 100);
      expect(page.events.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
    } finally {
      await store.close();
    }
  });

  it("reads from any cursor in order, filtered by type, and says how far it scanned", async () => {
    const store = await open();
    try {
      await store.append([
        testEvent(SYDNEY, { eventType: "contact.created" }),
        testEvent(SYDNEY, { eventType: "message.sent" }),
        testEvent(SYDNEY, { eventType: "contact.created" }),
        testEvent(SYDNEY, { eventType: "message.sent" }),
      ]);
      expect((await store.read(SYDNEY, 1, 10)).events.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(await store.read(SYDNEY, 0, 2)).toMatchObject({ events: [{ seq: 1 }, { seq: 2 }], scannedThrough: 2 });
      const filtered = await store.read(SYDNEY, 0, 10, ["message.sent"]);
      expect(filtered.events.map((e) => [e.seq, e.eventType])).toEqual([[2, "message.sent"], [4, "message.sent"]]);
      expect(filtered.scannedThrough).toBe(4);
      expect(await store.read(SYDNEY, 4, 10)).toEqual({ events: [], scannedThrough: 4 });
      expect(await store.read(BURLEIGH, 0, 10)).toEqual({ events: [], scannedThrough: 0 });
      const [first] = (await store.read(SYDNEY, 0, 1)).events;
      expect(first).toMatchObject({ locationUid: SYDNEY, seq: 1, eventType: "contact.created" });
      expect(JSON.parse(first?.body ?? "")).toHaveProperty("metadata.event_type", "contact.created");
    } finally {
      await store.close();
    }
  });

  it("keeps what it acknowledged across a reopen, and goes on numbering after it", async () => {
    const store = await open();
    await store.append([testEvent(SYDNEY), testEvent(SYDNEY)]);
    const again = await reopen(store);
    try {
      expect((await again.read(SYDNEY, 0, 10)).events.map((e) => e.seq)).toEqual([1, 2]);
      expect(await again.append([testEvent(SYDNEY)])).toEqual([{ stored: true, seq: 3 }]);
    } finally {
      await again.close();
    }
  });

  it("removes events older than the retention limit and remembers how far, so sequence numbers never restart", async () => {
    const store = await open();
    try {
      const old = Date.now() - 10 * 3_600_000;
      await store.append([testEvent(SYDNEY, { receivedAt: old }), testEvent(SYDNEY, { receivedAt: old }), testEvent(SYDNEY), testEvent(BURLEIGH, { receivedAt: old })]);
      expect(await store.prune(Date.now() - 3_600_000)).toBe(3);
      expect(await store.head(SYDNEY)).toEqual({ lastSeq: 3, prunedThrough: 2 });
      expect(await store.head(BURLEIGH)).toEqual({ lastSeq: 1, prunedThrough: 1 });
      expect((await store.read(SYDNEY, 0, 10)).events.map((e) => e.seq)).toEqual([3]);
      expect(await store.append([testEvent(BURLEIGH)])).toEqual([{ stored: true, seq: 2 }]);
    } finally {
      await store.close();
    }
  });

  it("tells listeners of each stored event, once, after it is durable", async () => {
    const store = await open();
    try {
      const seen: string[] = [];
      const stop = store.onAppended((uid, seq) => seen.push(`${uid}:${seq}`));
      const e = testEvent(SYDNEY);
      await store.append([e, testEvent(BURLEIGH)]);
      await store.append([e]);
      for (const until = Date.now() + 3_000; seen.length < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
      stop();
      expect([...new Set(seen)].sort()).toEqual([`${SYDNEY}:1`, `${BURLEIGH}:1`].sort());
    } finally {
      await store.close();
    }
  });

  it("lets one owner at a time hold a location's forwarder and fences the others' writes", async () => {
    const store = await open();
    try {
      expect(await store.claimForwarder(SYDNEY, "a", 60_000)).toBe(true);
      expect(await store.claimForwarder(SYDNEY, "b", 60_000)).toBe(false);
      expect(await store.claimForwarder(SYDNEY, "a", 60_000)).toBe(true);
      expect(await store.recordForward(SYDNEY, "b", { deliveredSeq: 5, attempts: 0 })).toBe(false);
      expect(await store.recordForward(SYDNEY, "a", { deliveredSeq: 3, attempts: 2, nextAttemptAt: 123, lastStatus: 503, lastError: "HTTP 503" })).toBe(true);
      expect(await store.forwardState(SYDNEY)).toMatchObject({ deliveredSeq: 3, attempts: 2, nextAttemptAt: 123, lastStatus: 503, lastError: "HTTP 503", deadLetters: 0 });
      expect(await store.recordForward(SYDNEY, "a", { deliveredSeq: 4, attempts: 0, lastStatus: 500, lastError: "HTTP 500", deadLetter: true })).toBe(true);
      expect(await store.forwardState(SYDNEY)).toMatchObject({ deliveredSeq: 4, attempts: 0, deadLetters: 1, lastDeadSeq: 4 });
      // An expired lease is taken over.
      expect(await store.claimForwarder(BURLEIGH, "a", 1)).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.claimForwarder(BURLEIGH, "b", 60_000)).toBe(true);
      expect(await store.forwardState("nowhere")).toEqual({ deliveredSeq: 0, attempts: 0, deadLetters: 0 });
    } finally {
      await store.close();
    }
  });
}
