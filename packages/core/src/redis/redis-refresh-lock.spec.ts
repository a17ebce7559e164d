import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CredentialStore, LocationRecord } from "../credentials/credential-store.js";
import { createPgCredentialStore, type PgCredentialStore } from "../credentials/postgres/pg-credential-store.js";
import type { RedisConnection } from "./redis-connection.js";
import { createRedisRefreshLock, refreshLockNameFor, withRedisRefreshLock, type RedisRefreshLock } from "./redis-refresh-lock.js";
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

/** `p`, or nothing once `ms` passed. */
async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Runs `fn` under the lock and records when it entered and left: it holds the lock `ms`, after waiting (at most
 * 2 s) for `until` when given, so another holder can be made to run while this one holds.
 */
function timeline(): { spans: [number, number][]; hold: (ms: number, until?: Promise<void>) => () => Promise<void> } {
  const spans: [number, number][] = [];
  return {
    spans,
    hold: (ms, until) => async () => {
      const start = performance.now();
      if (until !== undefined) await atMost(until, 2_000);
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
    // Until Redis let the 50 ms lease run out, however late this machine gets to ask.
    while ((await l2!.holder("loc-1")) !== undefined) await sleep(10);
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
    // Each holder of the shared token's lock keeps it until c got its own lock (or 2 s passed, had c to wait for
    // them): with locks of their own c runs inside the first one's hold however slow the machine is.
    let entered!: () => void;
    const cEntered = new Promise<void>((r) => (entered = r));
    const c = other.hold(40);
    await Promise.all([
      s1.withRefreshLock!("a", "o1", 5_000, shared.hold(40, cEntered)),
      s2.withRefreshLock!("b", "o2", 5_000, shared.hold(40, cEntered)),
      s1.withRefreshLock!("c", "o3", 5_000, () => (entered(), c())),
      s2.withRefreshLock!("a", "o4", 5_000, shared.hold(40, cEntered)),
    ]);
    expect(shared.spans).toHaveLength(3);
    expect(overlaps(shared.spans)).toBe(false);
    // c's lock is its own: it ran alongside one of the shared token's holders.
    expect(other.spans.some((span) => overlaps([...shared.spans, span]))).toBe(true);
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

    // Replica 1 reads under a 100 ms lease, then stalls past it; replica 2 takes over and rotates. The steps are
    // ordered by signals, not sleeps, so a loaded machine cannot reorder them: replica 1 has read before replica 2
    // asks for the lock (which it gets only once replica 1's lease ran out), and writes only after replica 2 wrote.
    let read!: () => void;
    const hasRead = new Promise<void>((r) => (read = r));
    let rotated!: () => void;
    const overtaken = new Promise<void>((r) => (rotated = r));
    const slow = r1.withRefreshLock!("loc-fence", "owner-1", 100, async () => {
      const { version } = await r1.readRefreshTokenVersioned(record);
      read();
      await overtaken;
      await r1.writeRefreshToken(record, "rt-from-1", version);
    });
    await Promise.race([hasRead, slow]);
    try {
      await r2.withRefreshLock!("loc-fence", "owner-2", 5_000, async () => {
        // Replica 1's lease ran out while it still runs: the lock is replica 2's now.
        expect(await l2!.holder(await refreshLockNameFor(p2!, "loc-fence"))).toBe("owner-2");
        const { token, version } = await r2.readRefreshTokenVersioned(record);
        expect(token).toBe("rt-0");
        await r2.writeRefreshToken(record, "rt-from-2", version);
      });
    } finally {
      rotated();
    }
    const err = await slow.then(() => undefined, (e: unknown) => e);
    expect(isRefreshTokenConflict(err)).toBe(true);
    expect((await p1!.readRefreshTokenVersioned(record)).token).toBe("rt-from-2");
  });
});
