import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import type { RateBudgets } from "../budgets/rate-budget.js";
import type { RedisConnection } from "./redis-connection.js";
import { createRedisRateBudgets, type RedisRateBudgetOptions } from "./redis-rate-budgets.js";
import type { BudgetBackendOutcome } from "./redis-rate-budgets.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { deleteKeys, testConnection, testRedisSettings, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();

function options(over: Partial<RedisRateBudgetOptions> = {}): RedisRateBudgetOptions {
  return {
    location: { ratePerMinute: 60, burst: 3 },
    upstream: { ratePerMinute: 60_000, burst: 1000 },
    maxWaitMs: 0,
    overrides: {},
    redisDown: { reads: "local", writes: "refuse" },
    replicas: 1,
    ...over,
  };
}

/** What a promise rejected with (its code and retryAfterMs), or "ok". */
async function outcome(p: Promise<unknown>): Promise<{ code: string; retryAfterMs?: number | undefined; message?: string; cause?: unknown }> {
  try {
    await p;
    return { code: "ok" };
  } catch (err) {
    if (isCoreError(err)) return { code: err.code, retryAfterMs: err.retryAfterMs, message: err.message, cause: err.cause };
    throw err;
  }
}

/** The innermost cause: what actually failed under the core errors. */
function rootCause(err: unknown): Error {
  let e = err as { cause?: unknown };
  while (e.cause !== undefined) e = e.cause as { cause?: unknown };
  return e as Error;
}

const opened: { conn: RedisConnection; budgets: RateBudgets }[] = [];
const prefixes: string[] = [];

/** `n` replicas' budgets on one key prefix: what n router processes would build. */
function replicas(n: number, over: Partial<RedisRateBudgetOptions> = {}, outcomes?: BudgetBackendOutcome[]): RateBudgets[] {
  const keyPrefix = uniquePrefix();
  prefixes.push(keyPrefix);
  return Array.from({ length: n }, () => {
    const conn = testConnection(testRedisSettings({ keyPrefix }));
    const budgets = createRedisRateBudgets(options(over), { connection: conn, onOutcome: (o) => outcomes?.push(o) });
    opened.push({ conn, budgets });
    return budgets;
  });
}

afterEach(async () => {
  for (const { conn, budgets } of opened.splice(0)) {
    budgets.close();
    await conn.close();
  }
});
afterAll(async () => {
  if (redisUp) for (const p of prefixes) await deleteKeys(p);
});

describe.skipIf(!redisUp)(`createRedisRateBudgets()${absentNote("Redis", redisUp)}`, () => {
  it("shares one location's budget between replicas", async () => {
    const outcomes: BudgetBackendOutcome[] = [];
    const [r1, r2] = replicas(2, {}, outcomes);
    await r1!.acquire("loc-a", "g");
    await r2!.acquire("loc-a", "g");
    await r1!.acquire("loc-a", "g");
    const refused = await outcome(r2!.acquire("loc-a", "g", { requestId: "r-1" }));
    expect(refused.code).toBe("ERR_LOC_RATE_LIMITED");
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    expect((await outcome(r1!.acquire("loc-a", "g"))).code).toBe("ERR_LOC_RATE_LIMITED");
    // Another location of the group has its own bucket.
    await r2!.acquire("loc-b", "g");
    expect(outcomes.every((o) => o === "redis")).toBe(true);
    expect(outcomes).toHaveLength(6);
  });

  it("waits for a token when the delay fits the bound, instead of refusing", async () => {
    const [r] = replicas(1, { location: { ratePerMinute: 600, burst: 1 }, maxWaitMs: 1_500 });
    await r!.acquire("loc-a", "g");
    // The next two tokens come 100 ms apart: both calls wait and are admitted.
    const results = await Promise.all([outcome(r!.acquire("loc-a", "g")), outcome(r!.acquire("loc-a", "g"))]);
    expect(results.map((x) => x.code)).toEqual(["ok", "ok"]);
  });

  it("refuses at once, with the delay, when the wait would exceed the bound or the deadline", async () => {
    const [r] = replicas(1, { location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 2_000 });
    await r!.acquire("loc-a", "g");
    const refused = await outcome(r!.acquire("loc-a", "g", { deadline: Date.now() + 100 }));
    expect(refused.code).toBe("ERR_LOC_RATE_LIMITED");
    expect(refused.retryAfterMs).toBeGreaterThan(100);
  });

  it("records Podium's 429 where every replica sees it: the location and its group pause", async () => {
    const [r1, r2] = replicas(2, { location: { ratePerMinute: 6000, burst: 10 } });
    await r2!.acquire("loc-a", "g");
    r1!.pause("loc-a", "g", Date.now() + 3_000);
    // The pause is written in the background; the replica that saw the 429 holds it at once.
    await expect.poll(async () => (await outcome(r2!.acquire("loc-b", "g"))).code).toBe("ERR_LOC_RATE_LIMITED");
    const refused = await outcome(r2!.acquire("loc-a", "g"));
    expect(refused.code).toBe("ERR_LOC_RATE_LIMITED");
    expect(refused.message).toContain("Podium answered 429");
    expect(refused.retryAfterMs).toBeGreaterThan(2_000);
    expect(r2!.snapshot("loc-a", "g").pausedUntil).toBeGreaterThan(Date.now());
  });

  it("releases the calls a group pause held on every replica one interval apart, never together (issue 11 item 9)", async () => {
    // 600/min: one call per 100 ms for the group, whichever replica and location it comes from.
    const [r1, r2] = replicas(2, { location: { ratePerMinute: 60_000, burst: 100 }, upstream: { ratePerMinute: 600, burst: 30 }, maxWaitMs: 10_000 });
    const pausedAt = Date.now();
    r1!.pause("loc-a", "g", pausedAt + 300);
    // The pause reaches Redis in the background: wait until the other replica sees it.
    await expect.poll(async () => (await outcome(r2!.acquire("loc-probe", "g", { deadline: Date.now() + 1 }))).code).toBe("ERR_LOC_RATE_LIMITED");
    const admitted: number[] = [];
    const calls = [r1!, r2!].flatMap((r) =>
      ["loc-a", "loc-b"].flatMap((uid) => Array.from({ length: 3 }, () => r.acquire(uid, "g").then(() => void admitted.push(Date.now())))),
    );
    await Promise.all(calls);
    admitted.sort((a, b) => a - b);
    // Redis' clock started the pause no earlier than pausedAt; the k-th admission is at least k intervals after its end.
    admitted.forEach((t, k) => expect(t, `admission #${k}`).toBeGreaterThanOrEqual(pausedAt + 300 + k * 100 - 2));
  });

  it("pauses only the location with scope location", async () => {
    const [r1, r2] = replicas(2, { location: { ratePerMinute: 6000, burst: 10 } });
    r1!.pause("loc-a", "g", Date.now() + 3_000, "location");
    await expect.poll(async () => (await outcome(r2!.acquire("loc-a", "g"))).code).toBe("ERR_LOC_RATE_LIMITED");
    expect((await outcome(r2!.acquire("loc-b", "g"))).code).toBe("ok");
  });

  it("reports what remains after its last decision in the snapshot", async () => {
    const [r] = replicas(1, { location: { ratePerMinute: 60, burst: 5 } });
    await r!.acquire("loc-a", "g");
    await r!.acquire("loc-a", "g");
    expect(r!.snapshot("loc-a", "g")).toEqual({ available: 3, capacity: 5, refillPerSecond: 1, quotaGroup: "g" });
  });

  it("refuses a waiting call when its location is removed, the budgets close, or the caller aborts", async () => {
    const [r] = replicas(1, { location: { ratePerMinute: 60, burst: 1 }, maxWaitMs: 5_000 });
    await r!.acquire("loc-a", "g");
    await r!.acquire("loc-b", "g");
    const removed = outcome(r!.acquire("loc-a", "g"));
    const ac = new AbortController();
    const aborted = outcome(r!.acquire("loc-b", "g", { signal: ac.signal }));
    await new Promise((res) => setTimeout(res, 50));
    r!.remove("loc-a");
    ac.abort();
    expect((await removed).code).toBe("ERR_LOC_UNKNOWN");
    expect((await aborted).code).toBe("ERR_LOC_DEADLINE_EXCEEDED");
    const closing = outcome(r!.acquire("loc-b", "g"));
    await new Promise((res) => setTimeout(res, 50));
    r!.close();
    expect((await closing).code).toBe("ERR_LOC_INTERNAL");
    expect((await outcome(r!.acquire("loc-b", "g"))).code).toBe("ERR_LOC_INTERNAL");
  });
});

describe("createRedisRateBudgets() with Redis unreachable", () => {
  /** Budgets whose Redis is a closed port: every command fails like a Redis that went away. */
  function unreachable(over: Partial<RedisRateBudgetOptions> = {}): { budgets: RateBudgets; conn: RedisConnection; outcomes: BudgetBackendOutcome[] } {
    const conn = testConnection(testRedisSettings({ url: "redis://127.0.0.1:1", connectTimeoutMs: 200, commandTimeoutMs: 50 }));
    const outcomes: BudgetBackendOutcome[] = [];
    const budgets = createRedisRateBudgets(options(over), { connection: conn, onOutcome: (o) => outcomes.push(o) });
    opened.push({ conn, budgets });
    return { budgets, conn, outcomes };
  }

  it("lets reads go on with a local budget of the limit divided by the replicas", async () => {
    const { budgets, outcomes } = unreachable({ location: { ratePerMinute: 60, burst: 6 }, replicas: 3 });
    expect((await outcome(budgets.acquire("loc-a", "g", { method: "GET" }))).code).toBe("ok");
    expect((await outcome(budgets.acquire("loc-a", "g", { method: "HEAD" }))).code).toBe("ok");
    // 6 / 3 replicas = a burst of 2 on this one.
    const third = await outcome(budgets.acquire("loc-a", "g", { method: "GET" }));
    expect(third.code).toBe("ERR_LOC_RATE_LIMITED");
    expect(outcomes).toEqual(["local_fallback", "local_fallback", "local_fallback"]);
  });

  it("refuses writes, and calls of unknown kind, with ERR_LOC_BUDGET_UNAVAILABLE", async () => {
    const { budgets, outcomes } = unreachable();
    const post = await outcome(budgets.acquire("loc-a", "g", { method: "POST", requestId: "r-9" }));
    expect(post.code).toBe("ERR_LOC_BUDGET_UNAVAILABLE");
    expect(post.retryAfterMs).toBeGreaterThan(0);
    expect(post.message).toContain("state.redis_down.writes");
    expect(post.message).not.toContain("127.0.0.1:1");
    expect((await outcome(budgets.acquire("loc-a", "g"))).code).toBe("ERR_LOC_BUDGET_UNAVAILABLE");
    expect(outcomes).toEqual(["refused", "refused"]);
  });

  it("follows the configured policy: reads refused, writes local", async () => {
    const { budgets, outcomes } = unreachable({ redisDown: { reads: "refuse", writes: "local" } });
    expect((await outcome(budgets.acquire("loc-a", "g", { method: "GET" }))).code).toBe("ERR_LOC_BUDGET_UNAVAILABLE");
    expect((await outcome(budgets.acquire("loc-a", "g", { method: "PATCH" }))).code).toBe("ok");
    expect(outcomes).toEqual(["refused", "local_fallback"]);
  });

  it("opens the breaker after the failure threshold, so later calls do not try Redis at all", async () => {
    const { budgets, conn } = unreachable();
    const first = await Promise.all([1, 2, 3].map(() => outcome(budgets.acquire("loc-a", "g", { method: "POST" }))));
    expect(first.map((x) => x.code)).toEqual(Array(3).fill("ERR_LOC_BUDGET_UNAVAILABLE"));
    expect(first.map((x) => rootCause(x.cause).message)).not.toContain("circuit breaker open");
    expect(conn.breakerState()).toBe("open");
    const later = await outcome(budgets.acquire("loc-a", "g", { method: "POST" }));
    expect(later.code).toBe("ERR_LOC_BUDGET_UNAVAILABLE");
    expect(rootCause(later.cause).message).toBe("circuit breaker open");
  });
});
