import { describe, expect, it } from "vitest";
import { createLocationVerifier, NEGATIVE_TTL_MS } from "./location-verifier.js";
import type { VerifyTarget } from "./location-verifier.js";

/** A promise whose settlement the test controls. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A manual clock. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

interface Counters {
  lists: number;
  gets: number;
  signals: AbortSignal[];
}

/** A target whose listing is `listing` (uid → org), answered by `gate` when given, with call counters. */
function target(
  locationUid: string,
  grantKey: string,
  listing: string[],
  opts: { gate?: Promise<void>; getLocation?: "ok" | "not_found" | "forbidden"; counters?: Counters } = {},
): VerifyTarget & { counters: Counters } {
  const counters = opts.counters ?? { lists: 0, gets: 0, signals: [] };
  return {
    locationUid,
    grantKey,
    counters,
    async listLocations(signal) {
      counters.lists++;
      if (signal !== undefined) counters.signals.push(signal);
      if (opts.gate !== undefined) await opts.gate;
      signal?.throwIfAborted();
      return new Map(listing.map((uid) => [uid, { organizationUid: "org-1" }]));
    },
    async getLocation() {
      counters.gets++;
      return opts.getLocation ?? "forbidden";
    },
  };
}

const HOUR = 3_600_000;

describe("createLocationVerifier()", () => {
  it("verifies a listed location and answers from the cache within the TTL", async () => {
    const c = clock();
    const verifier = createLocationVerifier({ ttlMs: HOUR, now: c.now });
    const a = target("A", "g1", ["A"]);
    const first = await verifier.verify(a);
    expect(first).toEqual({ verifiedAt: c.now(), cached: false, organizationUid: "org-1" });
    c.advance(HOUR - 1);
    const second = await verifier.verify(a);
    expect(second.cached).toBe(true);
    expect(second.verifiedAt).toBe(first.verifiedAt);
    expect(a.counters.lists).toBe(1);
    expect(verifier.peek("A")).toEqual({ state: "verified", verifiedAt: first.verifiedAt, expiresAt: first.verifiedAt + HOUR });
  });

  it("lists again once the TTL has passed, or when forced", async () => {
    const c = clock();
    const verifier = createLocationVerifier({ ttlMs: HOUR, now: c.now });
    const a = target("A", "g1", ["A"]);
    await verifier.verify(a);
    c.advance(HOUR);
    expect(verifier.peek("A").state).toBe("unverified");
    const again = await verifier.verify(a);
    expect(again.cached).toBe(false);
    expect(a.counters.lists).toBe(2);
    await verifier.verify(a, { force: true });
    expect(a.counters.lists).toBe(3);
  });

  it("runs one listing for many concurrent verifications of one location", async () => {
    const gate = deferred<void>();
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const a = target("A", "g1", ["A"], { gate: gate.promise });
    const calls = Array.from({ length: 50 }, () => verifier.verify(a));
    gate.resolve();
    const results = await Promise.all(calls);
    expect(a.counters.lists).toBe(1);
    expect(results.every((r) => r.verifiedAt === results[0]?.verifiedAt)).toBe(true);
  });

  it("never makes a location wait on another grant's slow listing", async () => {
    const slow = deferred<void>();
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const a = target("A", "grant-a", ["A"], { gate: slow.promise });
    const b = target("B", "grant-b", ["B"]);
    const pendingA = verifier.verify(a);
    let aSettled = false;
    void pendingA.then(() => (aSettled = true));
    await expect(verifier.verify(b)).resolves.toMatchObject({ cached: false });
    expect(aSettled).toBe(false);
    slow.resolve();
    await expect(pendingA).resolves.toMatchObject({ cached: false });
  });

  it("lets one listing verify every location on the same grant", async () => {
    const gate = deferred<void>();
    const counters: Counters = { lists: 0, gets: 0, signals: [] };
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const uids = ["A", "B", "C"];
    const targets = uids.map((uid) => target(uid, "shared", uids, { gate: gate.promise, counters }));
    // Concurrent first verifications join the listing in flight...
    const joined = Promise.all(targets.slice(0, 2).map((t) => verifier.verify(t)));
    gate.resolve();
    await joined;
    // ...and a later one is answered by the grant's cached listing.
    const later = await verifier.verify(targets[2] as VerifyTarget);
    expect(later.cached).toBe(true);
    expect(counters.lists).toBe(1);
  });

  it("does not share a listing between different grants", async () => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const a = target("A", "g1", ["A", "B"]);
    const b = target("B", "g2", ["A", "B"]);
    await verifier.verify(a);
    await verifier.verify(b);
    expect(a.counters.lists).toBe(1);
    expect(b.counters.lists).toBe(1);
  });

  it("re-lists before refusing a location missing from the grant's cached listing", async () => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const listing = ["A"];
    const counters: Counters = { lists: 0, gets: 0, signals: [] };
    const a = target("A", "g1", listing, { counters });
    await verifier.verify(a);
    listing.push("B"); // the grant gained B after A's listing
    const b = target("B", "g1", listing, { counters });
    await expect(verifier.verify(b)).resolves.toMatchObject({ cached: false });
    expect(counters.lists).toBe(2);
    expect(counters.gets).toBe(0);
  });

  it("throws LocationDeletedError when Podium answers 404 for an unlisted location", async () => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const gone = target("GONE", "g1", ["A"], { getLocation: "not_found" });
    await expect(verifier.verify(gone)).rejects.toMatchObject({ code: "ERR_LOC_DELETED", locationUid: "GONE" });
    expect(verifier.peek("GONE").state).toBe("deleted");
  });

  it.each(["forbidden", "ok"] as const)("throws LocationNotInScopeError for an unlisted location when Podium answers %s", async (answer) => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const other = target("OTHER", "g1", ["A"], { getLocation: answer });
    await expect(verifier.verify(other)).rejects.toMatchObject({ code: "ERR_LOC_NOT_IN_SCOPE", locationUid: "OTHER" });
    expect(verifier.peek("OTHER").state).toBe("not_in_scope");
  });

  it("caches a negative answer briefly, not for the whole TTL", async () => {
    const c = clock();
    const verifier = createLocationVerifier({ ttlMs: HOUR, now: c.now });
    const other = target("OTHER", "g1", ["A"]);
    for (let i = 0; i < 20; i++) await expect(verifier.verify(other)).rejects.toMatchObject({ code: "ERR_LOC_NOT_IN_SCOPE" });
    expect(other.counters.lists).toBe(1);
    expect(other.counters.gets).toBe(1);
    c.advance(NEGATIVE_TTL_MS);
    await expect(verifier.verify(other)).rejects.toMatchObject({ code: "ERR_LOC_NOT_IN_SCOPE" });
    expect(other.counters.gets).toBe(2);
  });

  it("propagates a listing failure to every waiter without caching it", async () => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    let fail = true;
    const flaky: VerifyTarget = {
      locationUid: "A",
      grantKey: "g1",
      listLocations: async () => {
        if (fail) throw new Error("Podium down");
        return new Map([["A", {}]]);
      },
      getLocation: async () => "ok",
    };
    await expect(Promise.all([verifier.verify(flaky), verifier.verify(flaky)])).rejects.toThrow("Podium down");
    expect(verifier.peek("A").state).toBe("unverified");
    fail = false;
    await expect(verifier.verify(flaky)).resolves.toMatchObject({ cached: false });
  });

  it("cancels the listing only when every waiter has gone", async () => {
    const gate = deferred<void>();
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    const a = target("A", "g1", ["A"], { gate: gate.promise });
    const first = new AbortController();
    const second = new AbortController();
    const p1 = verifier.verify(a, { signal: first.signal });
    const p2 = verifier.verify(a, { signal: second.signal });
    first.abort();
    await expect(p1).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED" });
    expect(a.counters.signals[0]?.aborted).toBe(false);
    second.abort();
    await expect(p2).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED" });
    expect(a.counters.signals[0]?.aborted).toBe(true);
    gate.resolve();
    // A later caller starts afresh instead of joining the cancelled listing.
    await expect(verifier.verify(a)).resolves.toMatchObject({ cached: false });
    expect(a.counters.lists).toBe(2);
  });

  it("forgets a location", async () => {
    const verifier = createLocationVerifier({ ttlMs: HOUR });
    await verifier.verify(target("A", "g1", ["A"]));
    verifier.forget("A");
    expect(verifier.peek("A")).toEqual({ state: "unverified" });
  });
});
