import { describe, expect, it } from "vitest";
import { createRedisLocationHealth } from "./redis-location-health.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { rawClient, replicaConnections, testConnection, testRedisSettings, trackRedisState, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const tracked = trackRedisState(redisUp);
const { conns } = tracked;

/** `n` replicas' views, each with its own connection, sharing one key prefix; and that prefix. */
function replicas(n: number, ttlMs?: number) {
  const { connections, keyPrefix } = replicaConnections(tracked, n);
  return { views: connections.map((conn) => createRedisLocationHealth(conn, { ttlMs })), keyPrefix };
}

const error = (code: string, at: number) => ({ code, at, requestId: `req-${at}`, message: `${code} at ${at}` });

describe.skipIf(!redisUp)(`createRedisLocationHealth()${absentNote("Redis", redisUp)}`, () => {
  it("shows one replica what another published, keeping the later of each field whatever order they arrive in", async () => {
    const { views: [one, two] } = replicas(2);
    await one!.publish("loc-a", { lastSuccessAt: 2_000 });
    await two!.publish("loc-a", { lastSuccessAt: 1_000 }); // older: kept out
    await two!.publish("loc-a", { lastError: error("ERR_LOC_AUTH", 3_000) });
    await one!.publish("loc-a", { lastError: error("ERR_LOC_UPSTREAM_UNAVAILABLE", 2_500) }); // older: kept out
    expect(await one!.read("loc-a")).toEqual({ lastSuccessAt: 2_000, lastError: error("ERR_LOC_AUTH", 3_000) });
    expect(await two!.read("loc-b")).toBeUndefined();
    await one!.publish("loc-a", { lastSuccessAt: 4_000 });
    expect(await two!.read("loc-a")).toEqual({ lastSuccessAt: 4_000, lastError: error("ERR_LOC_AUTH", 3_000) });
    // Token refreshes the same way: the later one stays.
    await two!.publish("loc-a", { lastRefresh: { at: 5_000, outcome: "failed", errorCode: "ERR_LOC_AUTH" } });
    await one!.publish("loc-a", { lastRefresh: { at: 4_500, outcome: "ok" } });
    expect((await one!.read("loc-a"))?.lastRefresh).toEqual({ at: 5_000, outcome: "failed", errorCode: "ERR_LOC_AUTH" });
  });

  it("keeps an entry for its TTL from the last publication, and forgets it for every replica", async () => {
    const { views: [one, two], keyPrefix } = replicas(2, 60_000);
    await one!.publish("loc a/b", { lastSuccessAt: 1 });
    const redis = rawClient();
    try {
      const pttl = await redis.pttl(`${keyPrefix}health:loc%20a%2Fb`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(60_000);
      // Damaged or foreign values read as nothing, never as a status.
      await redis.hset(`${keyPrefix}health:loc-x`, "s", "soon", "e", "{not json");
    } finally {
      redis.disconnect();
    }
    expect(await two!.read("loc-x")).toBeUndefined();
    await two!.forget("loc a/b");
    expect(await one!.read("loc a/b")).toBeUndefined();
  });
});

describe("createRedisLocationHealth() with Redis unreachable", () => {
  it("skips publications and reads nothing, never throwing", async () => {
    const conn = testConnection(testRedisSettings({ keyPrefix: uniquePrefix(), url: "redis://127.0.0.1:1", connectTimeoutMs: 200, commandTimeoutMs: 50 }));
    conns.push(conn);
    const view = createRedisLocationHealth(conn);
    await expect(view.publish("loc-a", { lastSuccessAt: 1, lastError: error("ERR_LOC_AUTH", 1) })).resolves.toBeUndefined();
    await expect(view.read("loc-a")).resolves.toBeUndefined();
    await expect(view.forget("loc-a")).resolves.toBeUndefined();
  });
});
