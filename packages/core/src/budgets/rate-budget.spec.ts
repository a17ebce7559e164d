import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRateBudgets } from "./rate-budget.js";
import type { RateBudgetOptions } from "./budget-options.js";
import type { RateBudgets } from "./rate-budget.js";

const T0 = 1_700_000_000_000;

/** Observes a promise without awaiting it, so a test can ask "already settled?" at a given instant. */
function track(p: Promise<void>): { done: boolean; error: unknown } {
  const s = { done: false, error: undefined as unknown };
  p.then(
    () => (s.done = true),
    (e: unknown) => (s.error = e),
  );
  return s;
}

/** Lets already-settled promises run their callbacks, without moving the clock. */
const ticks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function options(over: Partial<RateBudgetOptions> = {}): RateBudgetOptions {
  return {
    location: { ratePerMinute: 60, burst: 3 },
    upstream: { ratePerMinute: 6000, burst: 100 },
    maxWaitMs: 0,
    overrides: {},
    ...over,
  };
}

describe("createRateBudgets()", () => {
  let budgets: RateBudgets | undefined;
  afterEach(() => {
    budgets?.close();
    budgets = undefined;
  });

  describe("with a manual clock", () => {
    let clock = T0;
    const now = (): number => clock;
    beforeEach(() => {
      clock = T0;
    });

    it("admits a burst at once, then refuses with the time until the next token", async () => {
      budgets = createRateBudgets(options(), { now });
      for (let i = 0; i < 3; i++) await budgets.acquire("loc-a", "g");
      await expect(budgets.acquire("loc-a", "g", { requestId: "r-1" })).rejects.toMatchObject({
        code: "ERR_LOC_RATE_LIMITED",
        retryAfterMs: 1000,
        locationUid: "loc-a",
        requestId: "r-1",
      });
      clock += 400;
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ retryAfterMs: 600 });
      clock += 600;
      await budgets.acquire("loc-a", "g");
    });

    it("refills at the configured rate, up to the burst", async () => {
      budgets = createRateBudgets(options(), { now });
      for (let i = 0; i < 3; i++) await budgets.acquire("loc-a", "g");
      clock += 2500;
      await budgets.acquire("loc-a", "g");
      await budgets.acquire("loc-a", "g");
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ retryAfterMs: 500 });
      clock += 60_000;
      expect(budgets.snapshot("loc-a", "g")).toMatchObject({ available: 3, capacity: 3, refillPerSecond: 1, quotaGroup: "g" });
    });

    it("gives each location its own bucket, and an override replaces the defaults", async () => {
      budgets = createRateBudgets(options({ overrides: { "loc-big": { ratePerMinute: 600, burst: 10 } } }), { now });
      for (let i = 0; i < 10; i++) await budgets.acquire("loc-big", "g");
      await expect(budgets.acquire("loc-big", "g")).rejects.toMatchObject({ retryAfterMs: 100 });
      for (let i = 0; i < 3; i++) await budgets.acquire("loc-small", "g");
      await expect(budgets.acquire("loc-small", "g")).rejects.toMatchObject({ retryAfterMs: 1000 });
      expect(budgets.snapshot("loc-big", "g")).toMatchObject({ capacity: 10, refillPerSecond: 10 });
      expect(budgets.snapshot("loc-small", "g")).toMatchObject({ capacity: 3, refillPerSecond: 1 });
    });

    it("limits the quota group as a whole, whatever each location has left", async () => {
      budgets = createRateBudgets(
        options({ location: { ratePerMinute: 600, burst: 10 }, upstream: { ratePerMinute: 60, burst: 4 } }),
        { now },
      );
      let admitted = 0;
      for (const uid of ["a", "b", "c", "d"]) {
        for (;;) {
          const ok = await budgets.acquire(uid, "g").then(
            () => true,
            () => false,
          );
          if (!ok) break;
          admitted++;
        }
      }
      expect(admitted).toBe(4);
      await expect(budgets.acquire("a", "g")).rejects.toMatchObject({ code: "ERR_LOC_RATE_LIMITED" });
      clock += 60_000;
      expect(budgets.snapshot("a", "g").available).toBeGreaterThanOrEqual(1);
    });

    it("refuses at once when the deadline has passed", async () => {
      budgets = createRateBudgets(options(), { now });
      await expect(budgets.acquire("loc-a", "g", { deadline: clock })).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED" });
      expect(budgets.snapshot("loc-a", "g").available).toBe(3);
    });

    it("rejects options that cannot work, naming the setting", () => {
      expect(() => createRateBudgets(options({ location: { ratePerMinute: 0, burst: 1 } }))).toThrow(/budgets\.location\.rate_per_minute/);
      expect(() => createRateBudgets(options({ overrides: { x: { ratePerMinute: 1, burst: 0 } } }))).toThrow(/budgets\.overrides\.x\.burst/);
    });

    it("forgets a location idle for idleMs and gives its share of the group back", async () => {
      budgets = createRateBudgets(
        options({ location: { ratePerMinute: 600, burst: 10 }, upstream: { ratePerMinute: 60, burst: 5 } }),
        { now },
      );
      const drain = async (uid: string): Promise<unknown> => {
        for (;;) {
          try {
            await budgets!.acquire(uid, "g");
          } catch (e) {
            return e;
          }
        }
      };
      await budgets.acquire("b", "g");
      // Two locations: a's guaranteed share is half the group's 1/s.
      expect(await drain("a")).toMatchObject({ retryAfterMs: 2000 });
      clock += 30_000;
      await drain("a");
      clock += 31_000; // b has been idle for 61 s, a for 31 s
      expect(await drain("a")).toMatchObject({ retryAfterMs: 1000 });
    });
  });

  describe("with waiting calls", () => {
    beforeEach(() => {
      vi.useFakeTimers({ now: T0 });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("queues calls in order up to maxWaitMs and refuses the rest at once with retryAfterMs", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 3000 }));
      await budgets.acquire("loc-a", "g");
      const waiting = [1, 2, 3].map(() => track(budgets!.acquire("loc-a", "g")));
      const refused = track(budgets.acquire("loc-a", "g"));
      await ticks();
      expect(refused.error).toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 4000 });
      expect(waiting.map((w) => w.done)).toEqual([false, false, false]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(waiting.map((w) => w.done)).toEqual([true, false, false]);
      await vi.advanceTimersByTimeAsync(2000);
      expect(waiting.map((w) => w.done)).toEqual([true, true, true]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("bounds the wait by the deadline when it is shorter than maxWaitMs", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 5000 }));
      await budgets.acquire("loc-a", "g");
      const short = track(budgets.acquire("loc-a", "g", { deadline: Date.now() + 500 }));
      await ticks();
      expect(short.error).toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 1000 });
      const enough = track(budgets.acquire("loc-a", "g", { deadline: Date.now() + 1500 }));
      await vi.advanceTimersByTimeAsync(999);
      expect(enough).toEqual({ done: false, error: undefined });
      await vi.advanceTimersByTimeAsync(1);
      expect(enough.done).toBe(true);
    });

    it("stops waiting when the signal aborts, and the next call takes the token", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 5000 }));
      await budgets.acquire("loc-a", "g");
      const ac = new AbortController();
      const first = track(budgets.acquire("loc-a", "g", { signal: ac.signal, requestId: "r-1" }));
      const second = track(budgets.acquire("loc-a", "g"));
      ac.abort();
      await ticks();
      expect(first.error).toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED", requestId: "r-1" });
      await vi.advanceTimersByTimeAsync(1000);
      expect(second.done).toBe(true);
      await expect(budgets.acquire("loc-a", "g", { signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: "ERR_LOC_DEADLINE_EXCEEDED",
      });
    });

    it("pauses the location and its quota group after Podium's 429", async () => {
      budgets = createRateBudgets(options({ maxWaitMs: 10_000 }));
      await budgets.acquire("loc-a", "g");
      const until = Date.now() + 5000;
      budgets.pause("loc-a", "g", until);
      expect(budgets.snapshot("loc-a", "g")).toMatchObject({ pausedUntil: until, available: 0 });
      expect(budgets.snapshot("loc-b", "g").pausedUntil).toBe(until);
      await expect(budgets.acquire("loc-a", "g", { deadline: Date.now() + 2000 })).rejects.toMatchObject({
        code: "ERR_LOC_RATE_LIMITED",
        retryAfterMs: 5000,
      });
      const a = track(budgets.acquire("loc-a", "g"));
      const b = track(budgets.acquire("loc-b", "g"));
      const other = track(budgets.acquire("loc-c", "other-group"));
      await vi.advanceTimersByTimeAsync(4999);
      expect([a.done, b.done, other.done]).toEqual([false, false, true]);
      // When the pause ends the group is paced: one call per 1/rate (10 ms at 6,000/min), not both at once.
      await vi.advanceTimersByTimeAsync(1);
      expect([a.done, b.done]).toEqual([true, false]);
      await vi.advanceTimersByTimeAsync(10);
      expect([a.done, b.done]).toEqual([true, true]);
      expect(budgets.snapshot("loc-a", "g").pausedUntil).toBeUndefined();
    });

    it("releases the calls held by a pause at the group's rate, never as a burst, round-robin across its locations (issue 11 item 9)", async () => {
      // 600/min = one call per 100 ms; the group's and each location's bucket are full when the pause ends.
      budgets = createRateBudgets(options({ location: { ratePerMinute: 6000, burst: 50 }, upstream: { ratePerMinute: 600, burst: 30 }, maxWaitMs: 10_000 }));
      const until = Date.now() + 1000;
      budgets.pause("loc-a", "g", until);
      const admitted: Array<[string, number]> = [];
      const calls = ["loc-a", "loc-b", "loc-c"].flatMap((uid) =>
        Array.from({ length: 8 }, () => {
          const p = budgets!.acquire(uid, "g");
          void p.then(() => admitted.push([uid, Date.now()]), () => undefined);
          return track(p);
        }),
      );
      const neighbour = track(budgets.acquire("loc-x", "other-credential"));
      await ticks();
      expect(neighbour.done).toBe(true);
      await vi.advanceTimersByTimeAsync(1000 + 2300);
      expect(calls.every((c) => c.done)).toBe(true);
      const times = admitted.map(([, t]) => t - until);
      // Exactly one interval apart from the pause's end: 0, 100, 200, ... 2300 ms.
      expect(times).toEqual(Array.from({ length: 24 }, (_, i) => i * 100));
      expect(admitted.slice(0, 6).map(([uid]) => uid)).toEqual(["loc-a", "loc-b", "loc-c", "loc-a", "loc-b", "loc-c"]);
      // A call arriving while the group is paced waits its turn too: no burst from the hot path.
      const late = track(budgets.acquire("loc-d", "g"));
      await ticks();
      expect(late.done).toBe(false);
      await vi.advanceTimersByTimeAsync(100);
      expect(late.done).toBe(true);
    });

    it("a late timer never lets the paced calls catch up in a burst", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 6000, burst: 50 }, upstream: { ratePerMinute: 600, burst: 30 }, maxWaitMs: 10_000 }));
      const until = Date.now() + 500;
      budgets.pause("loc-a", "g", until);
      const admitted: number[] = [];
      for (let i = 0; i < 5; i++) void budgets.acquire("loc-a", "g").then(() => admitted.push(Date.now()));
      // The event loop is blocked: the clock jumps 700 ms before the timer set for the pause's end fires.
      vi.setSystemTime(Date.now() + 700);
      await vi.advanceTimersByTimeAsync(1_000);
      // The first leaves 700 ms late, and the rest still one interval apart after it.
      expect(admitted.map((t) => t - until)).toEqual([700, 800, 900, 1000, 1100]);
    });

    it("after the paced period (one refill time after the pause) the group bursts again as its bucket allows", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 6000, burst: 50 }, upstream: { ratePerMinute: 600, burst: 30 }, maxWaitMs: 0 }));
      budgets.pause("loc-a", "g", Date.now() + 500);
      // Paced from the pause's end (500 ms) for 30 tokens / 10 per s = 3 s, until 3,500 ms.
      await vi.advanceTimersByTimeAsync(500);
      await budgets.acquire("loc-a", "g");
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 100 });
      await vi.advanceTimersByTimeAsync(2_900);
      await budgets.acquire("loc-a", "g");
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 100 });
      await vi.advanceTimersByTimeAsync(100);
      for (let i = 0; i < 10; i++) await budgets.acquire("loc-a", "g");
    });

    it("pauses only the location with scope 'location'", async () => {
      budgets = createRateBudgets(options({ maxWaitMs: 1000 }));
      budgets.pause("loc-a", "g", Date.now() + 5000, "location");
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ retryAfterMs: 5000 });
      await budgets.acquire("loc-b", "g");
    });

    it("refuses, when a pause arrives, the waiting calls whose bound ends before it", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 10_000 }));
      await budgets.acquire("loc-a", "g");
      const bounded = track(budgets.acquire("loc-a", "g", { deadline: Date.now() + 3000 }));
      const patient = track(budgets.acquire("loc-a", "g"));
      budgets.pause("loc-a", "g", Date.now() + 5000);
      await ticks();
      expect(bounded.error).toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 5000 });
      expect((bounded.error as Error).message).toMatch(/429/);
      await vi.advanceTimersByTimeAsync(4999);
      expect(patient.done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(patient.done).toBe(true);
    });

    it("refuses the waiting calls of a removed location and forgets it", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 5000 }));
      await budgets.acquire("loc-a", "g");
      const waiting = track(budgets.acquire("loc-a", "g"));
      budgets.remove("loc-a");
      await ticks();
      expect(waiting.error).toMatchObject({ code: "ERR_LOC_UNKNOWN" });
      expect(vi.getTimerCount()).toBe(0);
      await budgets.acquire("loc-a", "g");
    });

    it("close() refuses waiting calls and clears its timers", async () => {
      budgets = createRateBudgets(options({ location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 5000 }));
      await budgets.acquire("loc-a", "g");
      const waiting = track(budgets.acquire("loc-a", "g"));
      expect(vi.getTimerCount()).toBe(1);
      budgets.close();
      await ticks();
      expect(waiting.error).toMatchObject({ code: "ERR_LOC_INTERNAL" });
      expect(vi.getTimerCount()).toBe(0);
      await expect(budgets.acquire("loc-a", "g")).rejects.toMatchObject({ code: "ERR_LOC_INTERNAL" });
    });

    it("one location's burst never starves another (failure 6)", async () => {
      // The group is the bottleneck: A's own budget (120/min) alone is twice the group's rate.
      const group = { ratePerMinute: 60, burst: 5 };
      budgets = createRateBudgets(options({ location: { ratePerMinute: 120, burst: 5 }, upstream: group, maxWaitMs: 2000 }));
      const admitted: number[] = [];
      const aCalls: Array<{ done: boolean; error: unknown }> = [];
      const bCalls: Array<{ done: boolean; error: unknown }> = [];
      const send = (uid: string): { done: boolean; error: unknown } => {
        const p = budgets!.acquire(uid, "shared");
        void p.then(() => admitted.push(Date.now()), () => undefined);
        return track(p);
      };
      const start = Date.now();
      // A floods at 20/s (ten times its budget) from the first instant, before B has said anything.
      for (let step = 0; step < 1200; step++) {
        aCalls.push(send("loc-a"));
        if (step % 80 === 37 || step === 0) {
          // B: one call every 4 s, 15/min, within its fair half of the group.
          const b = send("loc-b");
          await ticks();
          expect(b, `B's call at +${Date.now() - start} ms`).toEqual({ done: true, error: undefined });
          bCalls.push(b);
        }
        await vi.advanceTimersByTimeAsync(50);
      }
      await vi.advanceTimersByTimeAsync(5000);
      expect(bCalls).toHaveLength(16);
      const aAdmitted = aCalls.filter((c) => c.done).length;
      const aRefused = aCalls.filter((c) => (c.error as { code?: string } | undefined)?.code === "ERR_LOC_RATE_LIMITED");
      expect(aAdmitted + aRefused.length).toBe(1200);
      expect(aRefused.length).toBeGreaterThan(1100);
      // A still gets what B leaves: its own half and B's unused share, not just a trickle.
      expect(aAdmitted).toBeGreaterThanOrEqual(40);
      // Never more than the group allows: burst + rate over the run.
      expect(admitted.length).toBeLessThanOrEqual(group.burst + (group.ratePerMinute * (Date.now() - start)) / 60_000);
    });

    it("serves the waiting calls of several locations round-robin", async () => {
      budgets = createRateBudgets(
        options({ location: { ratePerMinute: 600, burst: 10 }, upstream: { ratePerMinute: 60, burst: 3 }, maxWaitMs: 20_000 }),
      );
      const order: string[] = [];
      const calls: Array<{ done: boolean; error: unknown }> = [];
      for (const uid of ["a", "c", "a", "c", "a", "a", "a", "c", "c", "c", "a", "c"]) {
        const p = budgets.acquire(uid, "g");
        void p.then(() => order.push(uid), () => undefined);
        calls.push(track(p));
      }
      await vi.advanceTimersByTimeAsync(20_000);
      expect(calls.every((c) => c.done)).toBe(true);
      // However they queued, each location gets every other token.
      for (let i = 2; i <= order.length; i += 2) {
        const head = order.slice(0, i);
        expect(head.filter((u) => u === "a").length, head.join(",")).toBe(i / 2);
      }
    });

    it("never admits more than the group's rate over any window, whatever the locations do", async () => {
      const group = { ratePerMinute: 120, burst: 4 };
      const event = fc.record({
        loc: fc.integer({ min: 0, max: 3 }),
        gapMs: fc.integer({ min: 0, max: 400 }),
        deadlineMs: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 20 }), async (events, burst) => {
          vi.setSystemTime(T0);
          const b = createRateBudgets(
            options({
              location: { ratePerMinute: 300, burst },
              upstream: group,
              maxWaitMs: 1500,
              overrides: { l0: { ratePerMinute: 6000, burst: 50 } },
            }),
          );
          const times: number[] = [];
          const calls: Array<{ done: boolean; error: unknown }> = [];
          for (const e of events) {
            await vi.advanceTimersByTimeAsync(e.gapMs);
            const deadline = e.deadlineMs === undefined ? undefined : Date.now() + e.deadlineMs;
            const p = b.acquire(`l${e.loc}`, "g", { deadline });
            void p.then(() => times.push(Date.now()), () => undefined);
            calls.push(track(p));
          }
          await vi.advanceTimersByTimeAsync(10_000);
          b.close();
          expect(calls.every((c) => c.done || c.error !== undefined)).toBe(true);
          for (let i = 0; i < times.length; i++) {
            for (let j = i; j < times.length; j++) {
              const allowed = group.burst + (group.ratePerMinute * (times[j]! - times[i]!)) / 60_000;
              expect(j - i + 1).toBeLessThanOrEqual(allowed + 1e-6);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  it("waits on the real clock for the next token", async () => {
    budgets = createRateBudgets(options({ location: { ratePerMinute: 600, burst: 1 }, maxWaitMs: 1000 }));
    await budgets.acquire("loc-a", "g");
    const t0 = performance.now();
    await budgets.acquire("loc-a", "g");
    // It waited for the refill (100 ms at 10/s) instead of passing or refusing.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
  });
});
