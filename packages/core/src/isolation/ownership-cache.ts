/**
 * Which locations own a resource, remembered per (organization, resource kind, id) for a TTL from settings
 * (`isolation.ownership_ttl_seconds`), so a call on a resource whose owner the router already resolved costs no
 * extra upstream GET. In memory for one process; with `state.backend: redis` shared by the replicas
 * (redis/redis-ownership-cache.ts).
 */

/** The key of one cached owner lookup. Ids are compared exactly (Podium's uids are case-sensitive). */
export interface OwnershipKey {
  organizationUid: string;
  /** The resource kind of the policy table, e.g. `contact`, `conversation`, `campaign`. */
  kind: string;
  id: string;
}

/**
 * The owners of a resource: location uids, or an empty list for an organization-level resource (a campaign
 * without locations, an organization webhook or template).
 */
export type Owners = readonly string[];

/** Where resolved owners are remembered. A failing cache is a miss, never a pass: the owner is resolved again. */
export interface OwnershipCache {
  /** The cached owners, or undefined when unknown or expired. Never throws: a backend failure is a miss. */
  get(key: OwnershipKey): Promise<Owners | undefined>;
  /** Remember owners for the cache's TTL. Never throws: a backend failure is logged and forgotten. */
  set(key: OwnershipKey, owners: Owners): Promise<void>;
  /** Forget one resource (after a DELETE, or a write that changed its owners). Never throws. */
  delete(key: OwnershipKey): Promise<void>;
  /** Releases timers or connections the cache holds. */
  close?(): Promise<void> | void;
}

export interface MemoryOwnershipCacheOptions {
  /** How long an entry is trusted (isolation.ownership_ttl_seconds × 1000). */
  ttlMs: number;
  /** Most entries kept; the oldest written is dropped first (isolation.ownership_cache_max_entries). */
  maxEntries: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** The map key: the three parts joined by a character no uid or kind contains. */
export function ownershipKeyString(key: OwnershipKey): string {
  return `${key.organizationUid}\u0000${key.kind}\u0000${key.id}`;
}

/** An in-process cache: a Map in insertion order, so evicting the oldest write is O(1). */
export function createMemoryOwnershipCache(opts: MemoryOwnershipCacheOptions): OwnershipCache {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { owners: Owners; expiresAt: number }>();
  return {
    async get(key) {
      const k = ownershipKeyString(key);
      const e = entries.get(k);
      if (e === undefined) return undefined;
      if (e.expiresAt <= now()) {
        entries.delete(k);
        return undefined;
      }
      return e.owners;
    },
    async set(key, owners) {
      const k = ownershipKeyString(key);
      // Re-inserting moves the key to the end: the newest write is evicted last.
      entries.delete(k);
      entries.set(k, { owners: Object.freeze([...owners]), expiresAt: now() + opts.ttlMs });
      while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value as string);
    },
    async delete(key) {
      entries.delete(ownershipKeyString(key));
    },
  };
}
