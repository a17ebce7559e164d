/**
 * Test helpers for the Redis state backend: connections to the machine's Redis under a key prefix of
 * their own (so parallel test files never share keys), and removal of those keys afterwards.
 * Test-only: excluded from the library build.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach } from "vitest";
import { Redis } from "ioredis";
import { createRedisConnection, type RedisConnection } from "../redis/redis-connection.js";
import type { BreakerSettings, RedisStateSettings } from "../redis/state-settings.js";
import { TEST_REDIS_URL } from "./services.js";

/** A key prefix no other test uses. */
export const uniquePrefix = (): string => `podium-router-test:${randomUUID().slice(0, 8)}:`;

/**
 * Redis settings for tests: generous timeouts, because a test box under load can stall the event loop
 * for longer than production's 50 ms, and a spurious timeout would make a budget test measure the fallback.
 */
export function testRedisSettings(over: Partial<RedisStateSettings> = {}): RedisStateSettings {
  return { url: TEST_REDIS_URL, keyPrefix: uniquePrefix(), commandTimeoutMs: 2_000, connectTimeoutMs: 2_000, replicas: 1, ...over };
}

/** A breaker that opens after 3 failures and probes after 1 s. */
export const TEST_BREAKER: BreakerSettings = { failureThreshold: 3, resetMs: 1_000 };

/** A connection to the test Redis under `redis.keyPrefix`. */
export function testConnection(redis: RedisStateSettings = testRedisSettings(), breaker: BreakerSettings = TEST_BREAKER): RedisConnection {
  return createRedisConnection({ redis, breaker });
}

/** Deletes every key under `prefix` (SCAN, never KEYS, so a shared Redis is not blocked). */
export async function deleteKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

/** A plain client for tests that inspect keys directly. */
export function rawClient(url = TEST_REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/**
 * Connections and key prefixes a Redis spec opens, closed after each test and deleted after the file:
 * `const redisState = trackRedisState(redisUp)`, then push onto `redisState.conns` and `redisState.prefixes`.
 */
export function trackRedisState(redisUp: boolean): { conns: RedisConnection[]; prefixes: string[] } {
  const state = { conns: [] as RedisConnection[], prefixes: [] as string[] };
  afterEach(async () => {
    for (const c of state.conns.splice(0)) await c.close();
  });
  afterAll(async () => {
    if (redisUp) for (const p of state.prefixes) await deleteKeys(p);
  });
  return state;
}

/**
 * `n` replicas' connections sharing one new key prefix, tracked by `state` (closed after each test, the prefix's
 * keys deleted after the file): what each replica-sharing spec builds its parts on.
 */
export function replicaConnections(state: { conns: RedisConnection[]; prefixes: string[] }, n: number): { connections: RedisConnection[]; keyPrefix: string } {
  const keyPrefix = uniquePrefix();
  state.prefixes.push(keyPrefix);
  const connections = Array.from({ length: n }, () => {
    const conn = testConnection(testRedisSettings({ keyPrefix }));
    state.conns.push(conn);
    return conn;
  });
  return { connections, keyPrefix };
}

