import { describe, it, expect, afterAll, beforeAll, vi } from "vitest";
import type { LedgerEntry } from "@podium-router/podium-sandbox";
import { OPS_KEY, REAL_BURLEIGH, REAL_FREMANTLE, REAL_SYDNEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { wireClients } from "../test/wire-clients.js";

// Issue 11 item 9 over the wire: Podium's 429 storm on one credential pauses that credential's quota group; the
// calls the pause held leave at the group's rate when it ends (never together), and another credential's call,
// issued while they wait, goes upstream first. Asserted on the sandbox ledger's order and each send's earliest
// possible time, not on how fast anything ran. (packages/core/src/router/storm-pacing.spec.ts proves the same
// for the Redis backend.)

const INTERVAL_MS = 100;
const RETRY_AFTER_SECONDS = 2;
const HELD = 15;
const ms = (e: LedgerEntry): number => Date.parse(e.ts);

describe("a 429 storm on one credential, over the wire", () => {
  let r: RealRouter;

  beforeAll(async () => {
    r = await startRealRouter(
      {},
      // 600/min per credential: one call per 100 ms; the locations' own buckets never bind.
      { budgets: { location: { rate_per_minute: 6_000, burst: 100 }, upstream: { rate_per_minute: 600, burst: 30 }, max_wait_ms: 20_000 } },
      { harbour: true },
    );
  });
  afterAll(async () => {
    await r?.close();
  });

  it("paces the held calls of the stormed credential and lets the other credential's call go first", async () => {
    const clients = Object.entries(wireClients(r.port, r.url));
    const call = (i: number, locationUid: string, requestId: string) => clients[i % clients.length]![1]("call", { locationUid, method: "GET", path: "/v4/contacts", requestId }, OPS_KEY);
    // Tokens and verifications first: each call below sends exactly its own request.
    for (const [i, uid] of [REAL_SYDNEY, REAL_BURLEIGH, REAL_FREMANTLE].entries()) expect((await call(i, uid, `warm-${i}`)).code).toBe("OK");

    r.sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: RETRY_AFTER_SECONDS } });
    const stormed = await call(0, REAL_SYDNEY, "stormed");
    r.sandbox.setFaults({ rateLimitStorm: false });
    expect([stormed.code, stormed.reason, stormed.requestId]).toEqual(["ResourceExhausted", "ERR_LOC_RATE_LIMITED", "stormed"]);
    await vi.waitFor(() => expect(r.auditLines().find((l) => l.request_id === "stormed")).toMatchObject({ status: 429, error_code: "ERR_LOC_RATE_LIMITED" }));
    const storm = r.sandbox.ledger().filter((e) => e.status === 429);
    expect(storm.map((e) => e.requestId)).toEqual(["stormed"]);

    // Held by the pause, from every client library, for both locations of the stormed credential.
    const held = Array.from({ length: HELD }, (_, i) => call(i, i % 2 === 0 ? REAL_SYDNEY : REAL_BURLEIGH, `held-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call(2, REAL_FREMANTLE, "neighbour")).code).toBe("OK");
    expect((await Promise.all(held)).map((s) => s.code)).toEqual(Array(HELD).fill("OK"));

    const sent = r.sandbox.ledger(storm[0]!.seq).filter((e) => e.route === "/v4/contacts");
    const heldSends = sent.filter((e) => e.requestId?.startsWith("held-"));
    const neighbour = sent.find((e) => e.requestId === "neighbour");
    expect(heldSends).toHaveLength(HELD);
    expect(neighbour?.grantId).not.toBe(heldSends[0]?.grantId);
    expect(heldSends.filter((e) => e.seq < neighbour!.seq)).toEqual([]);
    // The k-th held call left no earlier than the pause's end plus k intervals (2 ms for the ledger's rounding).
    const pauseEnd = ms(storm[0]!) + RETRY_AFTER_SECONDS * 1000;
    heldSends.forEach((e, k) => expect(ms(e), `held call #${k}`).toBeGreaterThanOrEqual(pauseEnd + k * INTERVAL_MS - 2));
    // Round-robin between the credential's two locations.
    expect(heldSends.slice(0, 6).map((e) => Number(e.requestId!.slice(5)) % 2)).toEqual([0, 1, 0, 1, 0, 1]);
  });
});
