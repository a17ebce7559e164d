import { afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import type { LedgerEntry } from "@podium-router/podium-sandbox";
import { deleteKeys, uniquePrefix } from "../testing/redis-test-state.js";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { absentNote, requireRedis } from "../testing/services.js";

// Issue 11 item 9, in the sandbox's ledger: after Podium's 429 pauses one credential, the calls the pause held
// leave at the credential's (quota group's) rate, never together, and another credential's call issued while
// they wait goes first. The assertions are about the schedule (order, and each send's earliest possible time),
// never about how fast the machine is.

const redisUp = await requireRedis();
const SYDNEY = "c0a57a15-5e11-4000-8000-000000000001";
const BURLEIGH = "c0a57a15-5e11-4000-8000-000000000002";
const FREMANTLE = "4a4b0a07-a070-4000-8000-000000000001";
const BUSY_GRANT = "grant-coastal-owner";
const NEIGHBOUR_GRANT = "grant-harbour-owner";
/** The quota group's rate: 600/min, one call per 100 ms. */
const INTERVAL_MS = 100;
const RETRY_AFTER_SECONDS = 2;
const HELD = 20;

const ms = (e: LedgerEntry): number => Date.parse(e.ts);
const get = (locationUid: string) => ({ locationUid, method: "GET", path: "/v4/contacts" });

for (const backend of ["memory", "redis"] as const) {
  describe.skipIf(backend === "redis" && !redisUp)(`a 429 storm on one credential (state.backend ${backend})${backend === "redis" ? absentNote("Redis", redisUp) : ""}`, () => {
    let h: Harness | undefined;
    const prefix = uniquePrefix();
    afterEach(async () => {
      await h?.close();
      if (backend === "redis") await deleteKeys(prefix);
    });

    it("releases the held calls one interval apart from the pause's end, after another credential's call", async () => {
      const state = backend === "redis" ? { backend: "redis", redis: { key_prefix: prefix, command_timeout_ms: 2_000, connect_timeout_ms: 2_000 } } : { backend: "memory" };
      h = await createHarness({
        settings: {
          upstream: { retry: { max_attempts: 1 } },
          // The group is the only limit that matters: each location's own bucket is far larger. Grouped by
          // organization, because the harness gives each location its own refresh-token file (a credential of
          // its own); coastal-smiles' two locations share the busy grant, harbour-auto has the other.
          budgets: { location: { rate_per_minute: 6_000, burst: 100 }, upstream: { rate_per_minute: 600, burst: 30 }, max_wait_ms: 20_000, group_by: "org" },
          state,
        },
      });
      const busy = fixtureGrant(h.sandbox, BUSY_GRANT);
      await h.register(SYDNEY, busy, "coastal-smiles");
      await h.register(BURLEIGH, busy, "coastal-smiles");
      await h.register(FREMANTLE, fixtureGrant(h.sandbox, NEIGHBOUR_GRANT), "harbour-auto");
      const router = await h.restart();
      // Tokens and verifications first, so that each call below sends exactly its own request.
      for (const uid of [SYDNEY, BURLEIGH, FREMANTLE]) expect((await router.call(get(uid))).status).toBe(200);

      h.sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: RETRY_AFTER_SECONDS } });
      const stormed = await router.call(get(SYDNEY)).then(
        () => "sent",
        (e: unknown) => (isCoreError(e) ? e.code : "other"),
      );
      expect(stormed).toBe("ERR_LOC_RATE_LIMITED");
      h.sandbox.setFaults({ rateLimitStorm: false });
      const storm = h.sandbox.ledger().filter((e) => e.status === 429);
      expect(storm).toHaveLength(1);
      const pauseEndsNoEarlierThan = ms(storm[0]!) + RETRY_AFTER_SECONDS * 1000;

      // Held by the pause: both locations of the busy credential, alternating.
      const held = Array.from({ length: HELD }, (_, i) => router.call({ ...get(i % 2 === 0 ? SYDNEY : BURLEIGH), requestId: `held-${i}` }));
      await new Promise((r) => setTimeout(r, 200));
      const neighbour = await router.call({ ...get(FREMANTLE), requestId: "neighbour" });
      expect(neighbour.status).toBe(200);
      expect((await Promise.all(held)).map((r) => r.status)).toEqual(Array(HELD).fill(200));

      const sent = h.sandbox.ledger(storm[0]!.seq).filter((e) => e.route === "/v4/contacts");
      const heldSends = sent.filter((e) => e.grantId === BUSY_GRANT);
      const neighbourSend = sent.find((e) => e.requestId === "neighbour");
      expect(heldSends).toHaveLength(HELD);
      // The neighbour, issued while the held calls waited, went upstream before every one of them.
      expect(heldSends.filter((e) => e.seq < neighbourSend!.seq)).toEqual([]);
      // The k-th held call left no earlier than the pause's end plus k intervals: paced, never a burst.
      // (The ledger's time is when the sandbox answered, after the router sent; a 2 ms allowance for rounding.)
      heldSends.forEach((e, k) => expect(ms(e), `held call #${k}`).toBeGreaterThanOrEqual(pauseEndsNoEarlierThan + k * INTERVAL_MS - 2));
      // In memory, waiting calls are served round-robin across the group's locations (Redis keeps no order across replicas).
      if (backend === "memory") {
        const parity = heldSends.map((e) => Number(e.requestId?.split("-")[1]) % 2);
        expect(parity.slice(0, 6)).toEqual([0, 1, 0, 1, 0, 1]);
      }
    });
  });
}
