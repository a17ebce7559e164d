import { createHash, hash, timingSafeEqual } from "node:crypto";
import { ALL_ORGANIZATIONS } from "@podium-router/core";
import type { ApiKeyGrant } from "./server-settings.js";

/** An authenticated caller: its name (for audit lines) and its grant. */
export interface Caller {
  readonly name: string;
  /** Every location, or only these uids. */
  readonly locations: "*" | ReadonlySet<string>;
  /** Every RPC, or only these method names. */
  readonly rpcs: "*" | ReadonlySet<string>;
  /** Every configured OAuth app, or only these names (none by default). */
  readonly oauthApps: "*" | ReadonlySet<string>;
  /**
   * The organizations whose organization-level operations it may run, in the form the core's
   * `CallContext.organizations` takes (frozen, handed over as it is): org slugs, `[ALL_ORGANIZATIONS]` ("*") for
   * all, or empty for none. The core decides which operations are organization-level, so it checks this grant.
   */
  readonly organizations: readonly string[];
}

/** Turns a bearer header into a caller; see {@link createCallerAuth}. */
export interface CallerAuth {
  /** The caller whose key the `authorization` header carries, or undefined for none or an unknown key. */
  authenticate(authorization: string | null | undefined): Caller | undefined;
}

interface StoredKey {
  hash: Buffer;
  caller: Caller;
}

/**
 * `Bearer <key>`, with optional spaces or tabs around it. HTTP/1.1 removes them before any code sees the
 * header (RFC 9110 5.5: they are not part of the value), so the only way to treat a key the same on
 * every protocol is to trim on HTTP/2 too (router-server.ts keeps them there, where Node allows). A key
 * is one token: trimming can never make another key match.
 */
const BEARER = /^[ \t]*Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Builds the API key check from the validated grants. Keys are compared by SHA-256 in constant time,
 * against every stored hash (no early exit), so timing reveals neither which key matched nor how much.
 */
export function createCallerAuth(grants: readonly ApiKeyGrant[]): CallerAuth {
  const keys: StoredKey[] = grants.map((g) => ({
    hash: Buffer.from(g.keySha256, "hex"),
    caller: Object.freeze({
      name: g.name,
      locations: g.locations === "*" ? "*" : new Set(g.locations),
      rpcs: g.rpcs === "*" ? "*" : new Set(g.rpcs),
      oauthApps: g.oauthApps === "*" ? "*" : new Set(g.oauthApps),
      organizations: Object.freeze(g.organizations === "*" ? [ALL_ORGANIZATIONS] : [...g.organizations]),
    }),
  }));
  return {
    authenticate(authorization) {
      if (typeof authorization !== "string" || keys.length === 0) return undefined;
      const m = BEARER.exec(authorization);
      if (m === null) return undefined;
      // One-shot hash (Node >= 20.12): no Hash object per call on the hot path.
      const presented = hash("sha256", m[1] ?? "", "buffer");
      let found: Caller | undefined;
      for (const key of keys) {
        if (timingSafeEqual(key.hash, presented) && found === undefined) found = key.caller;
      }
      return found;
    },
  };
}

/** True when the caller's grant covers the RPC. */
export function mayCallRpc(caller: Caller, rpc: string): boolean {
  return caller.rpcs === "*" || caller.rpcs.has(rpc);
}

/** True when the caller's grant covers the location. */
export function mayUseLocation(caller: Caller, locationUid: string): boolean {
  return caller.locations === "*" || caller.locations.has(locationUid);
}

/** True when the caller's grant covers the OAuth app (a name under the settings' `oauth_apps`). */
export function mayUseOAuthApp(caller: Caller, name: string): boolean {
  return caller.oauthApps === "*" || caller.oauthApps.has(name);
}

/** The SHA-256 hex of a key, as `server.api_keys[].key_sha256` stores it (used by `dev` and tests). */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
