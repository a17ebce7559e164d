/**
 * One request to Podium as a location, and what a 429 means for it: shared by the routed call and the owner lookups
 * made on its behalf, so both use the location's own credential the same way and pause the same budgets.
 */
import { LocationRateLimitedError } from "@podium-router/errors";
import type { RateBudgets } from "../budgets/index.js";
import { withAuthRetry } from "../oauth/index.js";
import { retryDelayMs, type UpstreamClient, type UpstreamResponse } from "../upstream/index.js";
import type { LiveLocation } from "./live-location.js";
import type { CallContext } from "./location-router-api.js";

/** The request: method, `/v4/...` path with its query, and a JSON body for writes. */
export interface LocationRequest {
  method: string;
  path: string;
  body?: string | undefined;
}

/** Sends as the location: its own access token (refreshed once on a 401), the call's request id, deadline and signal. */
export async function requestAsLocation(upstream: UpstreamClient, loc: LiveLocation, req: LocationRequest, requestId: string, ctx: CallContext): Promise<UpstreamResponse> {
  const { deadline, signal } = ctx;
  const auth = await loc.auth();
  return withAuthRetry(
    auth,
    (accessToken: string) => upstream.request({ method: req.method, path: req.path, body: req.body, accessToken, requestId, deadline, signal, locationUid: loc.record.locationUid }),
    { signal, deadline },
  );
}

/**
 * Podium's 429: its quota is spent, so the location and its credential's quota group are paused until Retry-After
 * instead of sending more; returns the error the caller gets.
 */
export function pauseForRateLimit(budgets: RateBudgets, loc: LiveLocation, res: UpstreamResponse, requestId: string, detail: string): LocationRateLimitedError {
  const delay = retryDelayMs(res.headers, Date.now());
  budgets.pause(loc.record.locationUid, loc.quotaGroup, Date.now() + delay);
  return new LocationRateLimitedError({ locationUid: loc.record.locationUid, requestId, retryAfterMs: delay, upstreamStatus: 429 }, detail);
}
