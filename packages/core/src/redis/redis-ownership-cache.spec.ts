import { describe, expect, it } from "vitest";
import type { OwnershipCache, OwnershipKey } from "../isolation/index.js";
import { createRedisOwnershipCache, redisOwnershipKey } from "./redis-ownership-cache.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { rawClient, replicaConnections, testConnection, testRedisSettings, trackRedisState, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const HOUR = 3_600_000;
const contact = (id: string): OwnershipKey => ({ organizationUid: "org-coastal", kind: "contact", id });

const tracked = trackRedisState(redisUp);
const { conns } = tracked;

/** `n` replicas, each with its own connection, sharing one key prefix; and that prefix. */
function replicas(n: number, ttlMs = HOUR): { caches: OwnershipCache[]; keyPrefix: string } {
  const { connections, keyPrefix } = replicaConnections(tracked, n);
  return { caches: connections.map((conn) => createRedisOwnershipCache(conn, { ttlMs })), keyPrefix };
}

describe.skipIf(!redisUp)(`createRedisOwnershipCache()${absentNote("Redis", redisUp)}`, () => {
  it("answers one replica with the owners another resolved, organization-level ([]) included", async () => {
    const { caches: [one, two] } = replicas(2);
    await one!.set(contact("c1"), ["loc-sydney", "loc-burleigh"]);
    await one!.set({ organizationUid: "org-coastal", kind: "template", id: "t1" }, []);
    expect(await two!.get(contact("c1"))).toEqual(["loc-sydney", "loc-burleigh"]);
    expect(Object.isFrozen(await two!.get(contact("c1")))).toBe(true);
    expect(await two!.get({ organizationUid: "org-coastal", kind: "template", id: "t1" })).toEqual([]);
    expect(await two!.get(contact("c2"))).toBeUndefined();
  });

  it("stores one key per resource with the TTL in Redis, so it expires for every replica at once", async () => {
    const { caches: [one, two], keyPrefix } = replicas(2, 300);
    await one!.set(contact("c1"), ["loc-sydney"]);
    const redis = rawClient();
    try {
      const pttl = await redis.pttl(redisOwnershipKey(keyPrefix, contact("c1")));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(300);
    } finally {
      redis.disconnect();
    }
    expect(await two!.get(contact("c1"))).toEqual(["loc-sydney"]);
    await new Promise((r) => setTimeout(r, 400));
    expect(await one!.get(contact("c1"))).toBeUndefined();
    expect(await two!.get(contact("c1"))).toBeUndefined();
  });

  it("drops an entry for every replica when one deletes it", async () => {
    const { caches: [one, two] } = replicas(2);
    await one!.set(contact("c1"), ["loc-sydney"]);
    await one!.set(contact("c2"), ["loc-sydney"]);
    expect(await two!.get(contact("c1"))).toEqual(["loc-sydney"]);
    await two!.delete(contact("c1"));
    expect(await one!.get(contact("c1"))).toBeUndefined();
    expect(await one!.get(contact("c2"))).toEqual(["loc-sydney"]);
  });

  it("keys by organization, kind and id exactly, a ':' inside an id included", async () => {
    const { caches: [cache], keyPrefix } = replicas(1);
    await cache!.set({ organizationUid: "o", kind: "contact", id: "a:b" }, ["loc-a"]);
    expect(await cache!.get({ organizationUid: "o:contact", kind: "a", id: "b" })).toBeUndefined();
    expect(await cache!.get({ organizationUid: "o", kind: "contact", id: "A:B" })).toBeUndefined();
    expect(await cache!.get({ organizationUid: "o", kind: "conversation", id: "a:b" })).toBeUndefined();
    expect(redisOwnershipKey(keyPrefix, { organizationUid: "o:x", kind: "contact", id: "a:b{x}" })).toMatch(new RegExp(`^${keyPrefix}owner:o%3Ax:contact:[A-Za-z0-9_-]{43}$`));
  });

  it("never writes a contact's phone number or email into a Redis key name", async () => {
    const { caches: [cache], keyPrefix } = replicas(1);
    await cache!.set({ organizationUid: "o", kind: "contact", id: "+61400100011" }, ["loc-a"]);
    await cache!.set({ organizationUid: "o", kind: "contact", id: "amelia.sydney@patients.example" }, ["loc-a"]);
    const redis = rawClient();
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys).toHaveLength(2);
      expect(keys.join(" ")).not.toMatch(/61400100011|amelia|patients/);
    } finally {
      redis.disconnect();
    }
  });

  it("treats an entry that is not a list of uids as a miss, never as owners", async () => {
    const { caches: [cache], keyPrefix } = replicas(1);
    const redis = rawClient();
    try {
      for (const [id, value] of [["c1", "not json"], ["c2", '{"owners":["loc-a"]}'], ["c3", "[1,2]"], ["c4", '"loc-a"']] as const) {
        await redis.set(redisOwnershipKey(keyPrefix, contact(id)), value, "PX", HOUR);
        expect(await cache!.get(contact(id))).toBeUndefined();
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe("createRedisOwnershipCache() with Redis unreachable", () => {
  it("misses, skips writes and deletes, and never throws", async () => {
    const keyPrefix = uniquePrefix();
    const conn = testConnection(testRedisSettings({ keyPrefix, url: "redis://127.0.0.1:1", connectTimeoutMs: 200, commandTimeoutMs: 50 }));
    conns.push(conn);
    // Counts the commands that reach the client (and so could wait on the connect timeout).
    let tried = 0;
    const counted = { ...conn, keyPrefix: conn.keyPrefix, run: <T>(command: Parameters<typeof conn.run<T>>[0]) => conn.run<T>((c) => (tried++, command(c))) };
    const cache = createRedisOwnershipCache(counted, { ttlMs: HOUR });
    await expect(cache.set(contact("c1"), ["loc-sydney"])).resolves.toBeUndefined();
    await expect(cache.get(contact("c1"))).resolves.toBeUndefined();
    await expect(cache.delete(contact("c1"))).resolves.toBeUndefined();
    // Once the breaker is open every operation answers without trying Redis at all, still without throwing.
    for (let i = 0; i < 3; i++) await cache.get(contact("c1"));
    expect(conn.breakerState()).toBe("open");
    const before = tried;
    await expect(cache.get(contact("c1"))).resolves.toBeUndefined();
    await expect(cache.set(contact("c1"), ["loc-sydney"])).resolves.toBeUndefined();
    expect(tried).toBe(before);
  });

  it("refuses a TTL below 1 ms when built", () => {
    const conn = testConnection(testRedisSettings({ url: "redis://127.0.0.1:1", connectTimeoutMs: 200 }));
    conns.push(conn);
    expect(() => createRedisOwnershipCache(conn, { ttlMs: 0 })).toThrow(/ttlMs must be >= 1/);
  });
});
