import { describe, expect, it } from "vitest";
import { createLocalIdentifierLocks, type IdentifierLocks } from "../isolation/index.js";
import { createRedisIdentifierLocks, redisIdentifierLockKey } from "./redis-identifier-locks.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { rawClient, testConnection, testRedisSettings, trackRedisState, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const { conns, prefixes } = trackRedisState(redisUp);
const wait = { locationUid: "loc-a", requestId: "r-1" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` replicas (each its own connection and its own in-process locks) on one key prefix. */
function replicas(n: number, opts: { maxLeaseMs?: number; url?: string } = {}): { locks: IdentifierLocks[]; keyPrefix: string } {
  const keyPrefix = uniquePrefix();
  prefixes.push(keyPrefix);
  const locks = Array.from({ length: n }, () => {
    const conn = testConnection(testRedisSettings({ keyPrefix, ...(opts.url ? { url: opts.url, connectTimeoutMs: 200, commandTimeoutMs: 50 } : {}) }));
    conns.push(conn);
    return createRedisIdentifierLocks(conn, createLocalIdentifierLocks(), { maxLeaseMs: opts.maxLeaseMs, pollMs: 5 });
  });
  return { locks, keyPrefix };
}

describe.skipIf(!redisUp)(`createRedisIdentifierLocks()${absentNote("Redis", redisUp)}`, () => {
  it("makes a second replica wait for the identifier until the first releases it", async () => {
    const { locks: [a, b] } = replicas(2);
    const events: string[] = [];
    const releaseA = await a!.acquire(["org:contact:+61400000001"], wait);
    const second = b!.acquire(["org:contact:+61400000001"], wait).then((release) => {
      events.push("b holds");
      release();
    });
    await sleep(60);
    expect(events).toEqual([]);
    events.push("a releases");
    releaseA();
    await second;
    expect(events).toEqual(["a releases", "b holds"]);
  });

  it("frees an identifier whose holder died when its lease ends", async () => {
    const { locks: [a, b] } = replicas(2, { maxLeaseMs: 150 });
    await a!.acquire(["k"], wait); // never released: the replica "died"
    const started = Date.now();
    const release = await b!.acquire(["k"], wait);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    release();
  });

  it("refuses with ERR_LOC_DEADLINE_EXCEEDED when the identifier stays held past the caller's deadline", async () => {
    const { locks: [a, b] } = replicas(2);
    const releaseA = await a!.acquire(["k"], wait);
    await expect(b!.acquire(["k"], { ...wait, deadline: Date.now() + 50 })).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED", locationUid: "loc-a", requestId: "r-1" });
    releaseA();
    // Nothing of the refused wait is left held.
    (await b!.acquire(["k"], wait))();
  });

  it("refuses when Redis is unreachable rather than letting the write run unserialised", async () => {
    const { locks: [a] } = replicas(1, { url: "redis://127.0.0.1:1" });
    await expect(a!.acquire(["k"], wait)).rejects.toMatchObject({ code: "ERR_LOC_BUDGET_UNAVAILABLE" });
  });

  it("keeps phone numbers and emails out of Redis key names", async () => {
    const { locks: [a], keyPrefix } = replicas(1);
    const release = await a!.acquire(["org\u0000contact\u0000+61400100011", "org\u0000contact\u0000amelia.sydney@patients.example"], wait);
    const redis = rawClient();
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys.sort()).toEqual([redisIdentifierLockKey(keyPrefix, "org\u0000contact\u0000+61400100011"), redisIdentifierLockKey(keyPrefix, "org\u0000contact\u0000amelia.sydney@patients.example")].sort());
      expect(keys.join(" ")).not.toMatch(/61400100011|amelia|patients/);
    } finally {
      release();
      redis.disconnect();
    }
  });
});
