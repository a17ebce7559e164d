import { appNameOf } from "../onboarding/index.js";
import type { RateBudgets } from "../budgets/index.js";
import type { Settings } from "../settings/index.js";
import type { LocationVerifier } from "../verification/index.js";
import { UnknownLocationError } from "@podium-router/errors";
import type { LiveLocation } from "./live-location.js";
import type { LiveLocations } from "./live-locations.js";
import { laterAt, reportedAuthState } from "./location-health.js";
import type { LocationRouter, LocationStatus, LocationSummary } from "./location-router-api.js";

/** What the views read: the live locations, their verification and budgets, the settings' OAuth apps. */
export interface LocationViewsDeps {
  settings: Settings;
  live: LiveLocations;
  verifier: LocationVerifier;
  budgets: RateBudgets;
}

/**
 * The operator's views of the registered locations: `ListLocations` (names, organizations, verification) and
 * `GetLocationStatus` (the truth about one location's credential, budget, and last success and failure as every
 * replica saw them). Read-only: nothing here changes a location.
 */
export function createLocationViews(deps: LocationViewsDeps): Pick<LocationRouter, "listLocations" | "getLocationStatus"> {
  const { settings, live, verifier, budgets } = deps;
  /** The fields a list row and a status share. */
  const summaryOf = (loc: LiveLocation, peek: { verifiedAt?: number | undefined }): LocationSummary => ({
    locationUid: loc.record.locationUid,
    orgSlug: loc.record.orgSlug,
    name: loc.record.name,
    organizationUid: loc.record.organizationUid,
    oauthApp: appNameOf(settings.oauthApps, loc.record),
    state: loc.record.state,
    verifiedAt: peek.verifiedAt ?? parseTime(loc.record.verifiedAt),
  });
  return {
    async listLocations(filter = {}): Promise<LocationSummary[]> {
      const out: LocationSummary[] = [];
      for (const loc of live.values()) {
        if (filter.orgSlug && loc.record.orgSlug !== filter.orgSlug) continue;
        out.push(summaryOf(loc, verifier.peek(loc.record.locationUid)));
      }
      return out.sort((a, b) => (a.locationUid < b.locationUid ? -1 : a.locationUid > b.locationUid ? 1 : 0));
    },

    async getLocationStatus(locationUid): Promise<LocationStatus> {
      const loc = live.get(locationUid);
      if (!loc) throw new UnknownLocationError({ locationUid });
      const peek = verifier.peek(locationUid);
      const auth = loc.peekAuth()?.state() ?? { authState: "no_token" as const };
      // What every replica saw (state.backend: redis), not only the one that answers this status.
      const health = await live.health.getShared(locationUid);
      // The last refresh any replica made (a token is cached per process; its refresh may have happened elsewhere).
      const lastRefresh = laterAt(auth.lastRefresh, health.lastRefresh);
      return {
        ...summaryOf(loc, peek),
        verificationState: loc.record.state === "deleted" ? "deleted" : peek.state,
        verificationExpiresAt: peek.expiresAt,
        budget: budgets.snapshot(locationUid, loc.quotaGroup),
        authState: reportedAuthState(auth.authState, lastRefresh, health),
        accessTokenExpiresAt: auth.expiresAt,
        lastRefreshAt: lastRefresh?.at,
        lastRefreshOutcome: lastRefresh?.outcome,
        lastRefreshErrorCode: lastRefresh?.errorCode,
        lastErrorCode: health.lastError?.code,
        lastErrorAt: health.lastError?.at,
        lastErrorRequestId: health.lastError?.requestId,
        lastErrorMessage: health.lastError?.message,
        lastSuccessAt: health.lastSuccessAt,
      };
    },
  };
}

const parseTime = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) : undefined);
