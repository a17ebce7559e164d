import { LocationAuthError, LocationRateLimitedError, UpstreamUnavailableError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";
import { type LocationAuth, withAuthRetry } from "../oauth/index.js";
import { retryDelayMs, type UpstreamClient, type UpstreamResponse } from "../upstream/index.js";

/**
 * A location's credential for a read: a bare access token (a 401 is then final), or the location's
 * auth, in which case a 401 gets one refresh and one retry (`withAuthRetry`).
 */
export type ListingCredential = string | Pick<LocationAuth, "getAccessToken" | "invalidate">;

/** What GET /v4/locations says about one location. */
export interface ListedLocation {
  organizationUid?: string | undefined;
  /** Podium's `name` of the location (what operators know it by), made printable and bounded; see `podiumName`. */
  name?: string | undefined;
}

/** The longest location name kept: Podium's names are short; a longer one is cut, never refused. */
export const MAX_LOCATION_NAME_LENGTH = 200;

/**
 * A name from Podium as the router keeps and shows it: control and bidi-override characters removed (it is
 * printed in tables and logs), whitespace collapsed, at most MAX_LOCATION_NAME_LENGTH characters; undefined
 * when Podium sent no usable name.
 */
export function podiumName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const clean = value
    .replace(/\p{Cc}/gu, " ")
    .replace(/\p{Cf}/gu, "")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return undefined;
  return [...clean].slice(0, MAX_LOCATION_NAME_LENGTH).join("");
}

/** Podium's maximum page size (shared/podium-api.md §3): the fewest requests per listing. */
export const LOCATIONS_PAGE_LIMIT = 100;
/** 100 000 locations. Beyond that a cursor that never ends is a bug upstream, not a big org. */
export const MAX_LOCATION_PAGES = 1000;

/**
 * Lists every location the credential reaches: GET /v4/locations with limit=100, following
 * `metadata.nextCursor` until it is absent. Returns uid → organizationUid and name.
 * Throws LocationAuthError (401/403), LocationRateLimitedError (429) or UpstreamUnavailableError.
 */
export async function listAllLocations(
  upstream: Pick<UpstreamClient, "request">,
  credential: ListingCredential,
  requestId: string,
  signal?: AbortSignal,
): Promise<Map<string, ListedLocation>> {
  const out = new Map<string, ListedLocation>();
  const cursors = new Set<string>();
  let path = `/v4/locations?limit=${LOCATIONS_PAGE_LIMIT}`;
  for (let page = 1; ; page++) {
    const res = await getWith(upstream, credential, path, requestId, signal);
    if (res.status !== 200) throw readError(res, "GET /v4/locations", requestId);
    const { data, metadata } = parseBody(res.body, requestId) as { data?: unknown; metadata?: { nextCursor?: unknown } };
    if (!Array.isArray(data)) throw unreadable(requestId, "data is not an array");
    for (const item of data as Array<{ uid?: unknown; organizationUid?: unknown; name?: unknown }>) {
      if (typeof item?.uid !== "string") continue;
      out.set(item.uid, { organizationUid: typeof item.organizationUid === "string" ? item.organizationUid : undefined, name: podiumName(item.name) });
    }
    const next = metadata?.nextCursor;
    if (typeof next !== "string" || next === "") return out;
    if (cursors.has(next) || page >= MAX_LOCATION_PAGES) throw unreadable(requestId, `pagination did not end after ${page} pages`);
    cursors.add(next);
    // With a cursor Podium ignores the other parameters; limit is kept for a server that does not.
    path = `/v4/locations?limit=${LOCATIONS_PAGE_LIMIT}&cursor=${encodeURIComponent(next)}`;
  }
}

/**
 * GET /v4/locations/{uid} with the location's own credential: "ok", "not_found" (404: deleted or never
 * existed) or "forbidden" (403: exists, outside this credential). Other answers throw as in listAllLocations.
 */
export async function getLocationStatus(
  upstream: Pick<UpstreamClient, "request">,
  credential: ListingCredential,
  locationUid: string,
  requestId: string,
  signal?: AbortSignal,
): Promise<"ok" | "not_found" | "forbidden"> {
  const res = await getWith(upstream, credential, `/v4/locations/${encodeURIComponent(locationUid)}`, requestId, signal);
  if (res.status === 200) return "ok";
  if (res.status === 404) return "not_found";
  if (res.status === 403) return "forbidden";
  throw readError(res, "GET /v4/locations/{uid}", requestId, locationUid);
}

function getWith(
  upstream: Pick<UpstreamClient, "request">,
  credential: ListingCredential,
  path: string,
  requestId: string,
  signal: AbortSignal | undefined,
): Promise<UpstreamResponse> {
  const send = (accessToken: string): Promise<UpstreamResponse> => upstream.request({ method: "GET", path, accessToken, requestId, signal });
  return typeof credential === "string" ? send(credential) : withAuthRetry(credential, send, { signal, requestId });
}

function readError(res: UpstreamResponse, what: string, requestId: string, locationUid?: string): CoreError {
  const ctx = { requestId, locationUid, upstreamStatus: res.status };
  switch (res.status) {
    case 401:
      return new LocationAuthError(ctx, `Podium answered 401 to ${what}; the access token was refused`);
    case 403:
      // GET /v4/locations lists "the locations the caller has access to": a 403 means no read_locations scope.
      return new LocationAuthError(ctx, `Podium answered 403 to ${what}; the grant needs the read_locations scope`);
    case 429:
      return new LocationRateLimitedError({ ...ctx, retryAfterMs: retryDelayMs(res.headers, Date.now()) }, `Podium answered 429 to ${what}`);
    default:
      return new UpstreamUnavailableError(ctx, `Podium answered ${res.status} to ${what}`);
  }
}

function parseBody(body: string, requestId: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // fall through: reported below without echoing the body
  }
  throw unreadable(requestId, "the body is not a JSON object");
}

function unreadable(requestId: string, why: string): CoreError {
  return new UpstreamUnavailableError({ requestId }, `unreadable GET /v4/locations answer: ${why}`);
}
