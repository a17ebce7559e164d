import type { RateBudgets } from "../budgets/index.js";
import type { CredentialStore, LocationRecord } from "../credentials/index.js";
import { isCoreError } from "@podium-router/errors";
import type { LastRefresh, LocationAuth } from "../oauth/index.js";
import type { Settings } from "../settings/index.js";
import type { UpstreamClient } from "../upstream/index.js";
import type { CoreLogger } from "../util/index.js";
import type { LocationVerifier, VerifyOutcome } from "../verification/index.js";
import { createLiveLocation, type LiveLocation } from "./live-location.js";
import { createLocationHealth, type LocationHealth, type SharedLocationHealth } from "./location-health.js";
import type { RouterObserver } from "./router-observer.js";

/** The registered locations a router routes to, and what happens to one when Podium says it changed. */
export interface LiveLocations {
  get(locationUid: string): LiveLocation | undefined;
  has(locationUid: string): boolean;
  values(): IterableIterator<LiveLocation>;
  /** Makes a stored record routable (again), with the auth instance onboarding already warmed if any. */
  add(record: LocationRecord, auth?: LocationAuth): LiveLocation;
  delete(locationUid: string): void;
  /** The organization slug for the audit line; "" for a location that is not registered. */
  orgSlugOf(locationUid: string): string;
  /**
   * Verifies the location with its own credential (cached unless `force`); learns its organization uid, and on
   * Podium's 404 marks it deleted before rethrowing.
   */
  verify(loc: LiveLocation, requestId: string, force: boolean, signal?: AbortSignal): Promise<VerifyOutcome>;
  /** Podium said 404 for the location itself: mark it deleted, say so once, send nothing more for it. */
  markDeleted(loc: LiveLocation, requestId: string): Promise<void>;
  /** What this process last saw happen to each location (last success, last failure), for status reports. */
  readonly health: LocationHealth;
}

export interface LiveLocationsDeps {
  settings: Settings;
  store: CredentialStore;
  upstream: UpstreamClient;
  budgets: RateBudgets;
  verifier: LocationVerifier;
  logger: CoreLogger;
  observer: RouterObserver;
  env: Record<string, string | undefined>;
  /** Where replicas share what they saw of each location (state.backend: redis). @default this process only */
  sharedHealth?: SharedLocationHealth | undefined;
}

export function createLiveLocations(deps: LiveLocationsDeps): LiveLocations {
  const { settings, store, upstream, budgets, verifier, logger, observer, env } = deps;
  const live = new Map<string, LiveLocation>();
  const health = createLocationHealth(Date.now, deps.sharedHealth);

  const add = (record: LocationRecord, auth?: LocationAuth): LiveLocation => {
    const onRefresh = (outcome: "ok" | "failed", last: LastRefresh): void => {
      observer.refresh?.(outcome);
      health.refreshed(record.locationUid, last);
    };
    const loc = createLiveLocation(record, { settings, store, upstream, env, auth, onRefresh });
    live.set(record.locationUid, loc);
    return loc;
  };

  const markDeleted = async (loc: LiveLocation, requestId: string): Promise<void> => {
    if (loc.record.state === "deleted") return;
    const record = await store.update(loc.record.locationUid, { state: "deleted" });
    add(record);
    budgets.remove(record.locationUid);
    logger.error(
      { location_uid: record.locationUid, org_slug: record.orgSlug, request_id: requestId, error_code: "ERR_LOC_DELETED" },
      "Podium reports this location deleted (404); it is marked deleted and no further calls are sent for it. Remove it with `podium-router locations remove` once confirmed.",
    );
  };

  return {
    get: (uid) => live.get(uid),
    has: (uid) => live.has(uid),
    values: () => live.values(),
    add,
    delete: (uid) => {
      live.delete(uid);
      health.forget(uid);
    },
    health,
    orgSlugOf: (uid) => live.get(uid)?.record.orgSlug ?? "",
    markDeleted,
    async verify(loc, requestId, force, signal) {
      try {
        const result = await verifier.verify(loc.verifyTarget(requestId), { force, signal });
        observer.verification?.(result.cached);
        if (!result.cached) health.success(loc.record.locationUid);
        // The organization uid is learned once (the guard needs it to check organizationUid fields); the name
        // follows Podium (a location renamed there is shown by its new name after the next listing).
        const patch: { organizationUid?: string; name?: string } = {};
        if (result.organizationUid && result.organizationUid !== loc.record.organizationUid) patch.organizationUid = result.organizationUid;
        if (result.name && result.name !== loc.record.name) patch.name = result.name;
        if (patch.organizationUid !== undefined || patch.name !== undefined) add(await store.update(loc.record.locationUid, patch), loc.peekAuth());
        return result;
      } catch (err) {
        if (isCoreError(err)) health.failure(loc.record.locationUid, err, requestId);
        if (isCoreError(err) && err.code === "ERR_LOC_DELETED") await markDeleted(loc, requestId);
        if (isCoreError(err) && err.code === "ERR_LOC_NOT_IN_SCOPE") {
          logger.error(
            { location_uid: loc.record.locationUid, org_slug: loc.record.orgSlug, request_id: requestId, error_code: err.code },
            "Location is not in its credential's scope; calls for it are refused until it is re-authorized.",
          );
        }
        throw err;
      }
    },
  };
}
