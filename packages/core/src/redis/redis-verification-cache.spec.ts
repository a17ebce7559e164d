import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { createLocationVerifier, type LocationVerifier, type VerifyTarget } from "../verification/location-verifier.js";
import type { RedisConnection } from "./redis-connection.js";
import { createRedisVerificationCache, withSharedVerificationCache } from "./redis-verification-cache.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { deleteKeys, rawClient, testConnection, testRedisSettings, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const HOUR = 3_600_000;

/** A target listing `listing`, counting how often Podium is asked. */
function target(locationUid: string, listing: string[], getLocation: "ok" | "not_found" | "forbidden" = "forbidden"): VerifyTarget & { asked: () => number } {
  let asked = 0;
  return {
    locationUid,
    grantKey: "grant-1",
    asked: () => asked,
    async listLocations() {
      asked++;
      return new Map(listing.map((uid) => [uid, { organizationUid: "org-1" }]));
    },
    async getLocation() {
      asked++;
      return getLocation;
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (isCoreError(err)) return err.code;
    throw err;
  }
}

const conns: RedisConnection[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) await c.close();
});
afterAll(async () => {
  if (redisUp) for (const p of prefixes) await deleteKeys(p);
});

/** `n` replicas' verifiers sharing one cache (one key prefix), each with its own in-process verifier. */
function replicas(n: number, ttlMs = HOUR, url?: string): LocationVerifier[] {
  const keyPrefix = uniquePrefix();
  prefixes.push(keyPrefix);
  return Array.from({ length: n }, () => {
    const conn = testConnection(testRedisSettings({ keyPrefix, ...(url ? { url, connectTimeoutMs: 200, commandTimeoutMs: 50 } : {}) }));
    conns.push(conn);
    return withSharedVerificationCache(createLocationVerifier({ ttlMs }), createRedisVerificationCache(conn), { ttlMs });
  });
}

describe.skipIf(!redisUp)(`withSharedVerificationCache()${absentNote("Redis", redisUp)}`, () => {
  it("answers a second replica from the first one's verification, without asking Podium", async () => {
    const [v1, v2] = replicas(2);
    const first = await v1!.verify(target("A", ["A"]));
    expect(first.cached).toBe(false);
    const t2 = target("A", ["A"]);
    const second = await v2!.verify(t2);
    expect(t2.asked()).toBe(0);
    expect(second).toEqual({ verifiedAt: first.verifiedAt, cached: true, organizationUid: "org-1" });
    expect(v2!.peek("A")).toMatchObject({ state: "verified", verifiedAt: first.verifiedAt });
  });

  it("keeps the first replica's TTL on every replica: the entry expires for all at once", async () => {
    const [v1, v2] = replicas(2, 300);
    await v1!.verify(target("A", ["A"]));
    await v2!.verify(target("A", ["A"]));
    const shared = v2!.peek("A");
    expect(shared.state).toBe("verified");
    expect(shared.expiresAt!).toBeLessThanOrEqual(Date.now() + 300);
    await new Promise((r) => setTimeout(r, 350));
    const t = target("A", ["A"]);
    expect((await v2!.verify(t)).cached).toBe(false);
    expect(t.asked()).toBe(1);
  });

  it("shares a negative answer, so other replicas refuse without asking Podium", async () => {
    const [v1, v2] = replicas(2);
    expect(await codeOf(v1!.verify(target("B", ["A"], "forbidden")))).toBe("ERR_LOC_NOT_IN_SCOPE");
    const t = target("B", ["A", "B"]);
    expect(await codeOf(v2!.verify(t))).toBe("ERR_LOC_NOT_IN_SCOPE");
    expect(t.asked()).toBe(0);
    expect(await codeOf(v1!.verify(target("C", [], "not_found")))).toBe("ERR_LOC_DELETED");
    expect(await codeOf(v2!.verify(target("C", ["C"])))).toBe("ERR_LOC_DELETED");
  });

  it("asks Podium when forced and shares the new answer; forget drops it everywhere", async () => {
    const [v1, v2, v3] = replicas(3);
    expect(await codeOf(v1!.verify(target("A", [], "forbidden")))).toBe("ERR_LOC_NOT_IN_SCOPE");
    const forced = target("A", ["A"]);
    expect((await v2!.verify(forced, { force: true })).cached).toBe(false);
    expect(forced.asked()).toBe(1);
    expect(await codeOf(v3!.verify(target("A", [])))).toBe("ok");
    v3!.forget("A");
    const redis = rawClient();
    try {
      await expect.poll(() => redis.exists(`${prefixes.at(-1)}verify:A`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe("withSharedVerificationCache() with Redis unreachable", () => {
  it("verifies through the in-process verifier alone, asking Podium", async () => {
    const [v] = replicas(1, HOUR, "redis://127.0.0.1:1");
    const t = target("A", ["A"]);
    expect((await v!.verify(t)).cached).toBe(false);
    expect((await v!.verify(t)).cached).toBe(true);
    expect(t.asked()).toBe(1);
  });
});
