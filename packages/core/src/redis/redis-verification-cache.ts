import { LocationDeletedError, LocationNotInScopeError, isCoreError } from "@podium-router/errors";
import { type LocationVerifier, NEGATIVE_TTL_MS, type VerificationState, type VerifyOutcome, type VerifyTarget } from "../verification/index.js";
import { evalScript, type RedisConnection } from "./redis-connection.js";

/** What one replica learned about a location, for the others. */
export interface SharedVerification {
  state: "verified" | "not_in_scope" | "deleted";
  /** Epoch ms of the listing that proved a verified location in scope. */
  verifiedAt?: number | undefined;
  organizationUid?: string | undefined;
  /** Podium's name of the location. */
  name?: string | undefined;
}

/** A verification cache every replica reads and writes; entries expire at the same moment for all. */
export interface SharedVerificationCache {
  /** The entry and when it expires (epoch ms on this replica's clock); rejects when the store is unreachable. */
  get(locationUid: string): Promise<{ entry: SharedVerification; expiresAt: number } | undefined>;
  /** Stores the entry for `ttlMs`; rejects when the store is unreachable. */
  set(locationUid: string, entry: SharedVerification, ttlMs: number): Promise<void>;
  delete(locationUid: string): Promise<void>;
}

/** GET and PTTL in one round trip: the remaining TTL, not a timestamp, so replicas' clocks never matter. */
const GET_WITH_TTL_SCRIPT = `return { redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }`;

/**
 * The shared cache in Redis: one key per location (`<prefix>verify:<uid>`), a small JSON value, and
 * `SET … PX ttl`, so an entry written by one replica expires for every replica when its TTL ends.
 */
export function createRedisVerificationCache(conn: RedisConnection, deps: { now?: (() => number) | undefined } = {}): SharedVerificationCache {
  const now = deps.now ?? Date.now;
  const keyOf = (uid: string): string => `${conn.keyPrefix}verify:${uid}`;
  return {
    async get(locationUid) {
      const [raw, pttl] = (await conn.run((c) => evalScript(c, GET_WITH_TTL_SCRIPT, [keyOf(locationUid)], []))) as [string | null, number];
      if (typeof raw !== "string" || !(pttl > 0)) return undefined;
      const entry = parseEntry(raw);
      return entry === undefined ? undefined : { entry, expiresAt: now() + pttl };
    },
    async set(locationUid, entry, ttlMs) {
      const ms = Math.floor(ttlMs);
      if (ms <= 0) return;
      await conn.run((c) => c.set(keyOf(locationUid), JSON.stringify(entry), "PX", ms));
    },
    async delete(locationUid) {
      await conn.run((c) => c.del(keyOf(locationUid)));
    },
  };
}

function parseEntry(raw: string): SharedVerification | undefined {
  try {
    const v = JSON.parse(raw) as SharedVerification;
    if (v.state === "verified" || v.state === "not_in_scope" || v.state === "deleted") return v;
  } catch {
    // Not ours (or from an incompatible version): as if absent, so this replica asks Podium itself.
  }
  return undefined;
}

/** Options of `withSharedVerificationCache()`; the same TTLs as the wrapped verifier. */
export interface SharedVerifierOptions {
  /** settings `verification.ttl_seconds` × 1000. */
  ttlMs: number;
  /** @default min(ttlMs, NEGATIVE_TTL_MS) */
  negativeTtlMs?: number | undefined;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: (() => number) | undefined;
}

interface Mirrored {
  entry: SharedVerification;
  expiresAt: number;
}

/**
 * Wraps the in-process verifier with a shared cache: before asking Podium it consults the cache (another
 * replica may have verified the location), and after asking it writes the answer there with the TTL left.
 * The shared cache being unreachable only costs Podium calls: the wrapped verifier then answers alone.
 */
export function withSharedVerificationCache(inner: LocationVerifier, cache: SharedVerificationCache, options: SharedVerifierOptions): LocationVerifier {
  const now = options.now ?? Date.now;
  const negativeTtlMs = options.negativeTtlMs ?? Math.min(options.ttlMs, NEGATIVE_TTL_MS);
  /** What this replica read from the shared cache, until it expires there. */
  const mirror = new Map<string, Mirrored>();

  const fresh = (uid: string): Mirrored | undefined => {
    const m = mirror.get(uid);
    if (m === undefined) return undefined;
    if (now() < m.expiresAt) return m;
    mirror.delete(uid);
    return undefined;
  };

  const answer = (uid: string, m: Mirrored): VerifyOutcome => {
    const { entry } = m;
    if (entry.state === "deleted") throw new LocationDeletedError({ locationUid: uid }, `Podium answered 404 for location ${uid} (cached by another replica)`);
    if (entry.state === "not_in_scope") {
      throw new LocationNotInScopeError({ locationUid: uid }, `location ${uid} is absent from its credential's GET /v4/locations (cached by another replica)`);
    }
    return { verifiedAt: entry.verifiedAt ?? m.expiresAt - options.ttlMs, cached: true, organizationUid: entry.organizationUid, name: entry.name };
  };

  const store = async (uid: string, entry: SharedVerification, ttlMs: number): Promise<void> => {
    // Best effort: an unreachable cache means the other replicas ask Podium themselves.
    await cache.set(uid, entry, ttlMs).catch(() => undefined);
  };

  return {
    async verify(target: VerifyTarget, opts = {}) {
      const uid = target.locationUid;
      if (!opts.force) {
        // The wrapped verifier's own entry is the cheapest answer; then what another replica stored.
        if (inner.peek(uid).state !== "unverified") return inner.verify(target, opts);
        const seen = fresh(uid);
        if (seen !== undefined) return answer(uid, seen);
        const hit = await cache.get(uid).catch(() => undefined);
        if (hit !== undefined) {
          mirror.set(uid, hit);
          return answer(uid, hit);
        }
      }
      try {
        const out = await inner.verify(target, opts);
        mirror.delete(uid);
        await store(uid, { state: "verified", verifiedAt: out.verifiedAt, organizationUid: out.organizationUid, name: out.name }, out.verifiedAt + options.ttlMs - now());
        return out;
      } catch (err) {
        if (isCoreError(err) && (err.code === "ERR_LOC_NOT_IN_SCOPE" || err.code === "ERR_LOC_DELETED")) {
          mirror.delete(uid);
          await store(uid, { state: err.code === "ERR_LOC_DELETED" ? "deleted" : "not_in_scope" }, negativeTtlMs);
        }
        throw err;
      }
    },

    peek(locationUid) {
      const own = inner.peek(locationUid);
      const m = fresh(locationUid);
      if (m === undefined || (own.state !== "unverified" && (own.expiresAt ?? 0) >= m.expiresAt)) return own;
      const out: { state: VerificationState; verifiedAt?: number; expiresAt?: number } = { state: m.entry.state, expiresAt: m.expiresAt };
      if (m.entry.verifiedAt !== undefined) out.verifiedAt = m.entry.verifiedAt;
      return out;
    },

    forget(locationUid) {
      inner.forget(locationUid);
      mirror.delete(locationUid);
      void cache.delete(locationUid).catch(() => undefined);
    },
  };
}
