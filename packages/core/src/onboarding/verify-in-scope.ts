/** The check every onboarding path shares: is the location in the listing of the credential being onboarded? */
import { LocationDeletedError, LocationNotInPodiumError, LocationNotInScopeError } from "@podium-router/errors";
import type { LocationRecord } from "../credentials/index.js";
import { type ListedLocation, listAllLocations } from "../verification/index.js";
import type { OnboardingDeps } from "./onboarding.js";

/**
 * GET /v4/locations (every page) with `accessToken`, and what Podium knows of the location there. Absent from the
 * listing: Podium's 404 for the uid is ERR_LOC_NOT_IN_PODIUM for a location never registered (a typo, or one Podium
 * deleted), ERR_LOC_DELETED for a registered one (still deleted); anything else is ERR_LOC_NOT_IN_SCOPE.
 */
export async function verifyInScope(
  uid: string,
  accessToken: string,
  deps: Pick<OnboardingDeps, "upstream">,
  requestId: string,
  signal: AbortSignal | undefined,
  opts: { registered: boolean },
): Promise<ListedLocation> {
  const listing = await listAllLocations(deps.upstream, accessToken, requestId, signal);
  const seen = listing.get(uid);
  if (seen !== undefined) return seen;
  const res = await deps.upstream.request({ method: "GET", path: `/v4/locations/${encodeURIComponent(uid)}`, accessToken, requestId, signal });
  if (res.status === 404) {
    if (opts.registered) throw new LocationDeletedError({ locationUid: uid, requestId, upstreamStatus: 404 }, `Podium still answers 404 for location ${uid}`);
    // Not registered here, so not "deleted" either: to the router it is a uid Podium does not know.
    throw new LocationNotInPodiumError({ locationUid: uid, requestId, upstreamStatus: 404 }, `Podium answered 404 for location ${uid}`);
  }
  throw new LocationNotInScopeError({ locationUid: uid, requestId }, "absent from GET /v4/locations for this credential");
}

/** `"Sydney" (organization <uid>, org slug <slug>)`, as far as Podium told us, for result messages. */
export function describeLocation(record: LocationRecord): string {
  const name = record.name === undefined ? `location ${record.locationUid}` : `"${record.name}"`;
  return record.organizationUid === undefined ? name : `${name} (organization ${record.organizationUid}, org slug ${record.orgSlug})`;
}
