import { createHash } from "node:crypto";
import type { CredentialStore } from "../credentials/index.js";
import { CredentialError, isCoreError } from "@podium-router/errors";
import { evalScript, type RedisConnection } from "./redis-connection.js";

/**
 * Releases the lock only if `owner` still holds it: a holder whose lease expired (and was taken over)
 * must not delete the new holder's lock.
 */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Named refresh locks in Redis (`<prefix>refresh-lock:<name>`): one holder at a time, identified by a
 * random owner token. `withRedisRefreshLock` names each lock after the refresh token it guards.
 */
export interface RedisRefreshLock {
  /** One attempt: `SET key owner NX PX ttlMs`. True when `owner` now holds the lock. Rejects when Redis is unreachable. */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: true when `owner` held the lock and it is now free. */
  release(name: string, owner: string): Promise<boolean>;
  /** The owner holding the lock now, if any (status and tests). */
  holder(name: string): Promise<string | undefined>;
  /**
   * Runs `fn` holding the lock (waiting while another owner holds it, at most `ttlMs`, after which that
   * lease has expired), then releases it. Rejects with BudgetUnavailableError when Redis is unreachable
   * before the lock is taken.
   */
  withLock<T>(name: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
}

/** Options of `createRedisRefreshLock()`. */
export interface RedisRefreshLockOptions {
  /** Pause between attempts while another owner holds the lock. @default 50 (a refresh takes ~100 ms) */
  pollMs?: number | undefined;
}

/**
 * Creates the lock. A refresh holds it for one token request; a crashed holder's lease ends after its
 * `ttlMs`. A holder that overruns its lease is stopped by the fencing check of the credential write: it
 * writes with the token version it read under the lock, which the new holder has moved on.
 */
export function createRedisRefreshLock(conn: RedisConnection, options: RedisRefreshLockOptions = {}): RedisRefreshLock {
  const pollMs = options.pollMs ?? 50;
  const keyOf = (name: string): string => `${conn.keyPrefix}refresh-lock:${name}`;

  const lock: RedisRefreshLock = {
    async tryAcquire(name, owner, ttlMs) {
      const ok = await conn.run((c) => c.set(keyOf(name), owner, "PX", Math.max(1, Math.ceil(ttlMs)), "NX"));
      return ok === "OK";
    },
    async release(name, owner) {
      return (await conn.run((c) => evalScript(c, RELEASE_SCRIPT, [keyOf(name)], [owner]))) === 1;
    },
    async holder(name) {
      return (await conn.run((c) => c.get(keyOf(name)))) ?? undefined;
    },
    async withLock(name, owner, ttlMs, fn) {
      const giveUpAt = Date.now() + ttlMs + pollMs;
      while (!(await lock.tryAcquire(name, owner, ttlMs))) {
        if (Date.now() > giveUpAt) throw new CredentialError({}, `the refresh lock ${name} stayed taken for longer than its lease; retry`);
        // Jittered, so waiters on several replicas do not knock in step.
        await new Promise((r) => setTimeout(r, pollMs / 2 + Math.random() * pollMs));
      }
      try {
        return await fn();
      } finally {
        await lock.release(name, owner).catch(() => undefined); // unreachable: the lease runs out by itself
      }
    },
  };
  return lock;
}

/**
 * The lock's name for a location: its refresh token's, so locations sharing one token (one grant, one
 * token file, or one PostgreSQL holder row) share one lock, since refreshing one rotates the token of all.
 */
export async function refreshLockNameFor(store: CredentialStore, locationUid: string): Promise<string> {
  const record = await store.get(locationUid);
  if (record === undefined) return `location:${locationUid}`;
  return `token:${createHash("sha256").update(record.refreshTokenFile).digest("hex").slice(0, 32)}`;
}

/**
 * The store with its refresh lock (`CredentialStore.withRefreshLock`) taken in Redis. While Redis is
 * unreachable the store's own lock is used (PostgreSQL's lock row), or none for a store without one; the
 * version check of the write still fences. Every other member is the store's own; the connection is
 * closed by its owner (createStateBackend), not by the store's `close()`.
 */
export function withRedisRefreshLock<S extends CredentialStore>(store: S, lock: RedisRefreshLock): S {
  const own = store.withRefreshLock?.bind(store);
  const withRefreshLock = async <T>(locationUid: string, owner: string, ttlMs: number, fn: () => Promise<T>): Promise<T> => {
    let started = false;
    try {
      const name = await refreshLockNameFor(store, locationUid);
      return await lock.withLock(name, owner, ttlMs, () => {
        started = true;
        return fn();
      });
    } catch (err) {
      if (started || !(isCoreError(err) && err.code === "ERR_LOC_BUDGET_UNAVAILABLE")) throw err;
      return own !== undefined ? own(locationUid, owner, ttlMs, fn) : fn();
    }
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "withRefreshLock") return withRefreshLock;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
