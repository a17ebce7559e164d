/**
 * The `isolation` section: how long a resolved resource owner is trusted, how many the process remembers, and
 * the key that binds Podium's paging cursors to the location that listed them (issue 10).
 */
import type { SectionReader } from "./settings-reader.js";

/**
 * 5 minutes: an owner changes only when a resource moves between locations, which Podium does rarely and the
 * router itself drops from the cache (a DELETE, a write that changes owners); a call on a warm entry costs no
 * upstream GET.
 */
export const DEFAULT_OWNERSHIP_TTL_SECONDS = 300;
/** A day at most: a resource moved outside the router is trusted to its old owner no longer than that. */
export const MAX_OWNERSHIP_TTL_SECONDS = 86_400;
/** 100,000 entries: about 20 MB at the most, enough for every active contact of a large organization. */
export const DEFAULT_OWNERSHIP_CACHE_MAX_ENTRIES = 100_000;
/** Ten million entries at most: about 2 GB, beyond which the cache belongs in Redis (`state.backend: redis`). */
export const MAX_OWNERSHIP_CACHE_MAX_ENTRIES = 10_000_000;
/** No reference: a random key per process, so cursors survive neither a restart nor a hop to another replica. */
export const DEFAULT_CURSOR_KEY = "";

/** `isolation`. */
export interface IsolationSettings {
  /** How long a resolved owner is trusted before the resource's own GET is asked again. @default 300 */
  ownershipTtlSeconds: number;
  /** Owners kept in memory (state.backend memory); the oldest written is dropped first. @default 100000 */
  ownershipCacheMaxEntries: number;
  /**
   * `env:NAME` or `file:PATH` of the HMAC key (at least 32 bytes) that binds a paging cursor to its location; replicas
   * behind one load balancer need the same key. "" = a random key per process. @default ""
   */
  cursorKey: string;
}

/**
 * Reads the `isolation` section. Throws InvalidConfigError naming the dotted key and the rule; a key pasted where
 * its reference belongs is refused without being echoed. @internal called by validateSettings
 */
export function readIsolationSettings(is: SectionReader): IsolationSettings {
  const cursorKey = is.string("cursor_key", DEFAULT_CURSOR_KEY, { allowEmpty: true, trim: true });
  // Checked here, as audit.checkpoints.hmac_key is, so a pasted key fails at start and is never repeated.
  if (cursorKey !== "" && !/^(env|file):./.test(cursorKey)) is.fail("cursor_key", 'must be a secret reference, "env:NAME" or "file:PATH", never the key itself');
  const out: IsolationSettings = {
    ownershipTtlSeconds: is.int("ownership_ttl_seconds", DEFAULT_OWNERSHIP_TTL_SECONDS, 1, MAX_OWNERSHIP_TTL_SECONDS),
    ownershipCacheMaxEntries: is.int("ownership_cache_max_entries", DEFAULT_OWNERSHIP_CACHE_MAX_ENTRIES, 1, MAX_OWNERSHIP_CACHE_MAX_ENTRIES),
    cursorKey,
  };
  is.done();
  return out;
}
