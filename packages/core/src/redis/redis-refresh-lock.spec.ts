import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CredentialStore, LocationRecord } from "../credentials/credential-store.js";
import { createPgCredentialStore, type PgCredentialStore } from "../credentials/postgres/pg-credential-store.js";
import type { RedisConnection } from "./redis-connection.js";
import { createRedisRefreshLock, withRedisRefreshLock, type RedisRefreshLock } from "./redis-refresh-lock.js";
import { isRefreshTokenConflict } from "@podium-router/errors";
import { absentNote, dropTestSchema, requirePostgres, requireRedis, TEST_POSTGRES_URL, testSchemaName } from "../testing/services.js";
import { deleteKeys, testConnection, testRedisSettings, uniquePrefix } from "../testing/redis-test-state.js";

const redisUp = await requireRedis();
const postgres = redisUp ? await requirePostgres() : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const conns: RedisConnection[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) await c.close();
});
afterAll(async () => {
  if (redisUp) for (const p of prefixes) await deleteKeys(p);
});

/** `n` replicas' locks on one key prefix. */
function locks(n: number, url?: string): RedisRefreshLock[] {
  const keyPrefix = uniquePrefix();
  prefixes.push(keyPrefix);
  return Array.from({ length: n }, () => {
    const conn = testConnection(testRedisSettings({ keyPrefix, ...(url ? { url, connectTimeoutMs: 200, commandTimeoutMs: 50 } : {}) }));
    conns.push(conn);
    return createRedisRefreshLock(conn, { pollMs: 10 });
  });
}

/** A store that knows one record per uid (sharing token files as given) and has no lock of its own unless told. */
function stubStore(tokenFileOf: Record<string, string>, ownLock?: CredentialStore["withRefreshLock"]): CredentialStore {
  const store: Partial<CredentialStore> = {
    get: async (uid) => (tokenFileOf[uid] === undefined ? undefined : ({ locationUid: uid, refreshTokenFile: tokenFileOf[uid] } as LocationRecord)),
  };
  if (ownLock) store.withRefreshLock = ownLock;
  return store as CredentialStore;
}

/** Runs `fn` under the lock and records when it entered and left. */
function timeline(): { spans: [number, number][]; hold: (ms: number) => () => Promise<void> } {
  const spans: [number, number][] = [];
  return {
    spans,
    hold: (ms) => async () => {
      const start = performance.now();
      await sleep(ms);
      spans.push([start, performance.now()]);
    },
  };
}

const overlaps = (spans: [number, number][]): boolean => {
  const s = [...spans].sort((a, b) => a[0] - b[0]);
  return s.some((x, i) => i > 0 && x[0] < s[i - 1]![1]);
};

describe.skipIf(!redisUp)(`createRedisRefreshLock()${absentNote("Redis", redisUp)}`, () => {
  it("has one holder at a time: another owner's attempt fails until the holder releases", async () => {
    const [l1, l2] = locks(2);
    expect(await l1!.tryAcquire("loc-1", "owner-a", 5_000)).toBe(true);
    expect(await l2!.tryAcquire("loc-1", "owner-b", 5_000)).toBe(false);
    expect(await l2!.holder("loc-1")).toBe("owner-a");
    expect(await l1!.release("loc-1", "owner-a")).toBe(true);
    expect(await l2!.tryAcquire("loc-1", "owner-b", 5_000)).toBe(true);
  });

  it("releases only for its owner: a holder whose lease ran out cannot free the next holder's lock", async () => {
    const [l1, l2] = locks(2);
    expect(await l1!.tryAcquire("loc-1", "owner-a", 50)).toBe(true);
    await sleep(80);
    expect(await l2!.tryAcquire("loc-1", "owner-b", 5_000)).toBe(true);
    expect(await l1!.release("loc-1", "owner-a")).toBe(false);
    expect(await l1!.holder("loc-1")).toBe("owner-b");
  });

  it("runs the holders of several replicas one after another, each released at the end", async () => {
    const ls = locks(3);
    const t = timeline();
    await Promise.all(ls.flatMap((l) => [1, 2].map(() => l.withLock("loc-1", randomUUID(), 5_000, t.hold(30)))));
    expect(t.spans).toHaveLength(6);
    expect(overlaps(t.spans)).toBe(false);
    expect(await ls[0]!.holder("loc-1")).toBeUndefined();
  });
});

describe.skipIf(!redisUp)(`withRedisRefreshLock()${absentNote("Redis", redisUp)}`, () => {
  it("gives locations that share one refresh token one lock, and others their own", async () => {
    const [l1, l2] = locks(2);
    const files = { a: "/tokens/shared", b: "/tokens/shared", c: "/tokens/c" };
    const [s1, s2] = [withRedisRefreshLock(stubStore(files), l1!), withRedisRefreshLock(stubStore(files), l2!)];
    const shared = timeline();
    const other = timeline();
    await Promise.all([
      s1.withRefreshLock!("a", "o1", 5_000, shared.hold(40)),
      s2.withRefreshLock!("b", "o2", 5_000, shared.hold(40)),
      s1.withRefreshLock!("c", "o3", 5_000, other.hold(40)),
      s2.withRefreshLock!("a", "o4", 5_000, other.hold(40)),
    ]);
    expect(overlaps(shared.spans)).toBe(false);
    // c's lock is its own: it ran alongside one of the shared token's holders.
    expect(overlaps([...shared.spans, other.spans[0]!]) || overlaps([...shared.spans, other.spans[1]!])).toBe(true);
  });

  it("falls back to the store's own lock while Redis is unreachable, or runs unlocked without one", async () => {
    const [down] = locks(1, "redis://127.0.0.1:1");
    let ownLocks = 0;
    const withOwn = withRedisRefreshLock(
      stubStore({ a: "/t/a" }, async (_uid, _owner, _ttl, fn) => {
        ownLocks++;
        return fn();
      }),
      down!,
    );
    expect(await withOwn.withRefreshLock!("a", "o1", 1_000, async () => "refreshed")).toBe("refreshed");
    expect(ownLocks).toBe(1);
    const without = withRedisRefreshLock(stubStore({ a: "/t/a" }), down!);
    expect(await without.withRefreshLock!("a", "o2", 1_000, async () => "unlocked")).toBe("unlocked");
  });

  it("passes every other member through to the store", async () => {
    const [l] = locks(1);
    const store = withRedisRefreshLock(stubStore({ a: "/t/a" }), l!);
    expect((await store.get("a"))?.refreshTokenFile).toBe("/t/a");
  });
});

describe.skipIf(!redisUp || !postgres)(`withRedisRefreshLock() with createPgCredentialStore()${absentNote("Redis and PostgreSQL", redisUp && postgres)}`, () => {
  const key = randomBytes(32);
  let schema = "";
  const stores: PgCredentialStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    if (schema) await dropTestSchema(schema);
  });

  it("fences out a holder whose lease ran out: its write with the version it read is refused", async () => {
    schema = testSchemaName();
    const [l1, l2] = locks(2);
    const [p1, p2] = [0, 1].map(() => createPgCredentialStore({ url: TEST_POSTGRES_URL, schema, poolMax: 2, keys: new Map([["k", key]]), activeKeyId: "k" }));
    stores.push(p1!, p2!);
    const now = new Date().toISOString();
    const record: LocationRecord = {
      locationUid: "loc-fence",
      orgSlug: "org",
      clientIdRef: "env:CID",
      clientSecretRef: "env:CSECRET",
      refreshTokenFile: "pg:loc-fence",
      state: "active",
      createdAt: now,
      updatedAt: now,
    };
    await p1!.insert(record, { refreshToken: "rt-0" });
    const [r1, r2] = [withRedisRefreshLock(p1!, l1!), withRedisRefreshLock(p2!, l2!)];

    // Replica 1 reads under a 100 ms lease, then stalls past it; replica 2 takes over and rotates.
    const slow = r1.withRefreshLock!("loc-fence", "owner-1", 100, async () => {
      const { version } = await r1.readRefreshTokenVersioned(record);
      await sleep(300);
      await r1.writeRefreshToken(record, "rt-from-1", version);
    });
    await sleep(150);
    await r2.withRefreshLock!("loc-fence", "owner-2", 5_000, async () => {
      const { token, version } = await r2.readRefreshTokenVersioned(record);
      expect(token).toBe("rt-0");
      await r2.writeRefreshToken(record, "rt-from-2", version);
    });
    const err = await slow.then(() => undefined, (e: unknown) => e);
    expect(isRefreshTokenConflict(err)).toBe(true);
    expect((await p1!.readRefreshTokenVersioned(record)).token).toBe("rt-from-2");
  });
});
