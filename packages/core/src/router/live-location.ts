import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { type CredentialStore, type LocationRecord, refreshCoordinationFor, resolveSecretRef } from "../credentials/index.js";
import { createLocationAuth, type LastRefresh, type LocationAuth } from "../oauth/index.js";
import { getLocationStatus, listAllLocations, type VerifyTarget } from "../verification/index.js";
import type { Settings } from "../settings/index.js";
import type { UpstreamClient } from "../upstream/index.js";

/**
 * A registered location as the live router holds it: its record, the keys that group it with others
 * (for one shared listing and one shared upstream quota), and its OWN auth instance.
 *
 * The auth instance is created from this record alone, so there is no code path from one location's
 * uid to another location's credential (failure 2). It is built lazily: start-up with 10,000
 * locations must not resolve 10,000 secrets.
 */
export interface LiveLocation {
  readonly record: LocationRecord;
  /** Locations with the same OAuth client and refresh-token file share one Podium grant. */
  readonly grantKey: string;
  /** The upstream quota group whose shared budget this location draws from. */
  readonly quotaGroup: string;
  /** The location's own auth, created on first use. */
  auth(): Promise<LocationAuth>;
  /** The auth instance if it was created already (status reports without side effects). */
  peekAuth(): LocationAuth | undefined;
  /** What the verifier needs to check this location with this location's credential. */
  verifyTarget(requestId: string): VerifyTarget;
}

export interface LiveLocationDeps {
  settings: Settings;
  store: CredentialStore;
  upstream: UpstreamClient;
  env: Record<string, string | undefined>;
  /** A pre-built auth instance (onboarding hands over the one it already warmed). */
  auth?: LocationAuth | undefined;
  onRefresh?: ((outcome: "ok" | "failed", last: LastRefresh) => void) | undefined;
}

const shortHash = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 16);

/** The grant key: same client id reference and same refresh-token file means one Podium grant. */
export function grantKeyOf(record: Pick<LocationRecord, "clientIdRef" | "refreshTokenFile">): string {
  return `grant-${shortHash(`${record.clientIdRef}\n${resolve(record.refreshTokenFile)}`)}`;
}

/** The quota group by settings.budgets.groupBy; hashed so no file path leaks into status output. */
export function quotaGroupOf(record: LocationRecord, groupBy: Settings["budgets"]["groupBy"]): string {
  switch (groupBy) {
    case "org":
      return `org-${record.orgSlug}`;
    case "location":
      return `loc-${record.locationUid}`;
    default:
      return grantKeyOf(record);
  }
}

export function createLiveLocation(record: LocationRecord, deps: LiveLocationDeps): LiveLocation {
  const { settings, store, upstream } = deps;
  let auth: LocationAuth | undefined = deps.auth;
  let pending: Promise<LocationAuth> | undefined;

  const build = async (): Promise<LocationAuth> => {
    const [clientId, clientSecret] = await Promise.all([
      resolveSecretRef(record.clientIdRef, deps.env),
      resolveSecretRef(record.clientSecretRef, deps.env),
    ]);
    auth = createLocationAuth({
      locationUid: record.locationUid,
      tokenUrl: settings.upstream.tokenUrl,
      clientId,
      clientSecret,
      readRefreshToken: () => store.readRefreshToken(record),
      writeRefreshToken: (token: string) => store.writeRefreshToken(record, token),
      expiryMarginMs: settings.oauth.expiryMarginSeconds * 1000,
      upstream,
      onRefresh: deps.onRefresh,
      // Replicas sharing a PostgreSQL store refresh one at a time under the store's lock.
      coordination: refreshCoordinationFor(store, record),
    });
    return auth;
  };

  const grantKey = grantKeyOf(record);
  return {
    record,
    grantKey,
    quotaGroup: quotaGroupOf(record, settings.budgets.groupBy),
    auth() {
      if (auth) return Promise.resolve(auth);
      pending ??= build().finally(() => (pending = undefined));
      return pending;
    },
    peekAuth: () => auth,
    verifyTarget(requestId) {
      const uid = record.locationUid;
      return {
        locationUid: uid,
        grantKey,
        // With the location's auth, not a bare token: a 401 drops the cached token and refreshes once, so a
        // grant Podium revoked shows as a failed refresh instead of a token the status calls valid.
        listLocations: async (signal?: AbortSignal) => listAllLocations(upstream, await this.auth(), requestId, signal),
        getLocation: async (signal?: AbortSignal) => getLocationStatus(upstream, await this.auth(), uid, requestId, signal),
      };
    },
  };
}
