import { createHash } from "node:crypto";
import type { OwnershipCache, OwnershipKey, Owners } from "../isolation/index.js";
import type { RedisConnection } from "./redis-connection.js";

/** Options of `createRedisOwnershipCache()`. */
export interface RedisOwnershipCacheOptions {
  /** How long an entry is trusted by every replica: settings `isolation.ownership_ttl_seconds` × 1000. */
  ttlMs: number;
}

/**
 * The Redis key of one resource: `<prefix>owner:<org>:<kind>:<sha256(id)>`. The organization and kind are
 * percent-encoded so a `:` (or a brace, which Redis Cluster would read as a hash tag) can never make two resources
 * share a key; the id is hashed because a contact is addressed by its phone number or email, which must not sit in
 * Redis key names (KEYS, MONITOR, slow logs and dumps show them).
 */
export function redisOwnershipKey(keyPrefix: string, key: OwnershipKey): string {
  const id = createHash("sha256").update(key.id, "utf8").digest("base64url");
  return `${keyPrefix}owner:${encodeURIComponent(key.organizationUid)}:${encodeURIComponent(key.kind)}:${id}`;
}

/**
 * The ownership cache shared by replicas (`state.backend: redis`): one key per resource, its owners as a JSON
 * array, `SET … PX ttl`, so an owner one replica resolved is trusted by all until the same moment, and a DELETE on
 * one replica drops it for all. Redis being unreachable (the connection's breaker reports the outage) or an entry
 * that is not a list of uids is a miss and a write is skipped: the owner is resolved again, never assumed.
 */
export function createRedisOwnershipCache(conn: RedisConnection, opts: RedisOwnershipCacheOptions): OwnershipCache {
  const ttlMs = Math.floor(opts.ttlMs);
  if (!(ttlMs >= 1)) throw new RangeError("createRedisOwnershipCache: ttlMs must be >= 1");
  const keyOf = (key: OwnershipKey): string => redisOwnershipKey(conn.keyPrefix, key);
  return {
    async get(key) {
      let raw: string | null;
      try {
        raw = await conn.run((c) => c.get(keyOf(key)));
      } catch {
        return undefined;
      }
      return raw === null ? undefined : parseOwners(raw);
    },
    async set(key, owners) {
      await conn.run((c) => c.set(keyOf(key), JSON.stringify(owners), "PX", ttlMs)).catch(() => undefined);
    },
    async delete(key) {
      await conn.run((c) => c.del(keyOf(key))).catch(() => undefined);
    },
    // The connection belongs to the state backend, which closes it with the budgets and the refresh lock.
  };
}

/** The owners in an entry, frozen; undefined (a miss) for anything that is not a JSON array of strings. */
function parseOwners(raw: string): Owners | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && v.every((o) => typeof o === "string")) return Object.freeze(v as string[]);
  } catch {
    // Not ours (or from an incompatible version): a miss, so the owner is resolved again.
  }
  return undefined;
}
