import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGET_DECIDE_SCRIPT, BUDGET_PAUSE_SCRIPT } from "./redis-budget-script.js";
import { evalScript } from "./redis-connection.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { deleteKeys, rawClient, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const prefix = uniquePrefix();
let client: Redis;

/** 60/min is one token a second: retry delays read as "ms until the next second's token". */
const PER_MINUTE_60 = 60 / 60_000;

interface Bucket {
  rate: number;
  burst: number;
}

const keys = (uid: string, group: string): string[] => {
  const base = `${prefix}{${group}}`;
  return [`${base}:loc:${uid}`, `${base}:group`, `${base}:share:${uid}`, `${base}:pause:${uid}`, `${base}:pause`, `${base}:active`, `${base}:pace`];
};

/** One decision: [allowed, retryMs, remaining, pausedUntil, active, now]. */
async function decide(uid: string, group: string, loc: Bucket, grp: Bucket, take = true): Promise<number[]> {
  const args = [loc.rate, loc.burst, grp.rate, grp.burst, uid, 60_000, take ? "1" : "0"];
  return (await evalScript(client, BUDGET_DECIDE_SCRIPT, keys(uid, group), args)) as number[];
}

async function pause(uid: string, group: string, ms: number, scope: "location" | "group", pacedMs = 0): Promise<number> {
  const k = keys(uid, group);
  return (await evalScript(client, BUDGET_PAUSE_SCRIPT, [k[3]!, k[4]!, k[6]!], [ms, scope === "group" ? "1" : "0", pacedMs])) as number;
}

describe.skipIf(!redisUp)(`BUDGET_DECIDE_SCRIPT${absentNote("Redis", redisUp)}`, () => {
  beforeAll(() => {
    client = rawClient();
  });
  afterAll(async () => {
    client?.disconnect();
    await deleteKeys(prefix);
  });

  it("admits while the location's bucket holds a token, returning what remains, then the delay to the next", async () => {
    const loc = { rate: PER_MINUTE_60, burst: 3 };
    const grp = { rate: 1, burst: 1000 };
    expect((await decide("a", "g1", loc, grp)).slice(0, 3)).toEqual([1, 0, 2]);
    expect((await decide("a", "g1", loc, grp)).slice(0, 3)).toEqual([1, 0, 1]);
    expect((await decide("a", "g1", loc, grp)).slice(0, 3)).toEqual([1, 0, 0]);
    const [allowed, retryMs, remaining] = await decide("a", "g1", loc, grp);
    expect(allowed).toBe(0);
    expect(remaining).toBe(0);
    // One token a second; a few ms passed since the burst was spent.
    expect(retryMs).toBeGreaterThan(800);
    expect(retryMs).toBeLessThanOrEqual(1000);
  });

  it("limits every location of a quota group by the group's bucket", async () => {
    const loc = { rate: 1, burst: 100 };
    const grp = { rate: PER_MINUTE_60, burst: 2 };
    expect((await decide("a", "g2", loc, grp))[0]).toBe(1);
    expect((await decide("a", "g2", loc, grp))[0]).toBe(1);
    const [allowed, retryMs, , , active] = await decide("b", "g2", loc, grp);
    expect(allowed).toBe(0);
    expect(retryMs).toBeGreaterThan(800);
    expect(retryMs).toBeLessThanOrEqual(1000);
    expect(active).toBe(2);
  });

  it("keeps the last group tokens for another active location once a flood has spent its share", async () => {
    const loc = { rate: 1, burst: 100 };
    const grp = { rate: PER_MINUTE_60, burst: 4 };
    expect((await decide("b", "g3", loc, grp))[0]).toBe(1); // b is active: it holds a share
    expect((await decide("a", "g3", loc, grp))[0]).toBe(1);
    expect((await decide("a", "g3", loc, grp))[0]).toBe(1);
    // a's share (half the burst) is spent and one token is left: it is b's.
    const [aAllowed, aRetry] = await decide("a", "g3", loc, grp);
    expect(aAllowed).toBe(0);
    expect(aRetry).toBeGreaterThan(0);
    expect((await decide("b", "g3", loc, grp))[0]).toBe(1);
  });

  it("lets a lone location borrow the whole group, shares being for locations that are active", async () => {
    const loc = { rate: 1, burst: 100 };
    const grp = { rate: PER_MINUTE_60, burst: 4 };
    for (let i = 0; i < 4; i++) expect((await decide("a", "g4", loc, grp))[0]).toBe(1);
    expect((await decide("a", "g4", loc, grp))[0]).toBe(0);
  });

  it("only looks when told not to take: nothing is spent and the location does not become active", async () => {
    const loc = { rate: PER_MINUTE_60, burst: 2 };
    const grp = { rate: 1, burst: 100 };
    expect(await decide("a", "g5", loc, grp, false)).toEqual([0, 0, 2, 0, 1, expect.any(Number)]);
    expect(await client.zcard(keys("a", "g5")[5]!)).toBe(0);
    expect((await decide("a", "g5", loc, grp)).slice(0, 3)).toEqual([1, 0, 1]);
  });

  it("gives every key an expiry, so idle locations leave nothing behind", async () => {
    await decide("a", "g6", { rate: PER_MINUTE_60, burst: 5 }, { rate: PER_MINUTE_60, burst: 5 });
    for (const k of [0, 1, 2, 5]) {
      const ttl = await client.pttl(keys("a", "g6")[k]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(61_000);
    }
  });
});

describe.skipIf(!redisUp)(`BUDGET_PAUSE_SCRIPT${absentNote("Redis", redisUp)}`, () => {
  beforeAll(() => {
    client = rawClient();
  });
  afterAll(async () => {
    client?.disconnect();
    await deleteKeys(prefix);
  });

  const open = { rate: 1, burst: 100 };

  it("pauses the location and its group (scope group) until the pause ends", async () => {
    const until = await pause("a", "p1", 5_000, "group");
    const [allowed, retryMs, remaining, pausedUntil] = await decide("a", "p1", open, open);
    expect([allowed, remaining, pausedUntil]).toEqual([0, 0, until]);
    expect(retryMs).toBeGreaterThan(4_000);
    expect(retryMs).toBeLessThanOrEqual(5_000);
    expect((await decide("b", "p1", open, open))[0]).toBe(0);
  });

  it("pauses only the location with scope location", async () => {
    await pause("a", "p2", 5_000, "location");
    expect((await decide("a", "p2", open, open))[0]).toBe(0);
    expect((await decide("b", "p2", open, open))[0]).toBe(1);
  });

  it("paces the group after a group pause: one call per 1 / rate until the paced period ends, whichever location asks", async () => {
    // 10 per second (one per 100 ms), burst 100: without pacing every call would pass once the pause ends.
    const grp = { rate: 10 / 1000, burst: 100 };
    const loc = { rate: 1, burst: 100 };
    const until = await pause("a", "p4", 50, "group", 10_000);
    await new Promise((r) => setTimeout(r, 60));
    const [first, , , , , redisNow] = await decide("a", "p4", loc, grp);
    expect(first).toBe(1);
    const [second, retryMs] = await decide("b", "p4", loc, grp);
    expect(second).toBe(0);
    // The next call is due one interval after the first admission (Redis' clock), give or take the time between the two.
    expect(retryMs).toBeGreaterThan(60);
    expect(retryMs).toBeLessThanOrEqual(100);
    expect(redisNow).toBeGreaterThanOrEqual(until);
    await new Promise((r) => setTimeout(r, (retryMs ?? 0) + 5));
    expect((await decide("b", "p4", loc, grp))[0]).toBe(1);
    expect((await decide("c", "p4", loc, grp))[0]).toBe(0);
  });

  it("never shortens an earlier pause, and lets calls through once it has ended", async () => {
    const long = await pause("a", "p3", 5_000, "location");
    await pause("a", "p3", 10, "location");
    expect((await decide("a", "p3", open, open))[3]).toBe(long);
    await pause("c", "p3", 20, "location");
    await new Promise((r) => setTimeout(r, 40));
    expect((await decide("c", "p3", open, open))[0]).toBe(1);
  });
});
