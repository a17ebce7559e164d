/**
 * The identifiers podium-router accepts from callers and operators: one rule each, used by the core, the
 * server and the CLI alike. Request ids are made here and nowhere else.
 */
import { randomUUID } from "node:crypto";
import { BadRequestError, type CoreErrorContext } from "@podium-router/errors";

/** Longest request id accepted; long enough for a UUID with a prefix, short enough for an audit line. */
export const MAX_REQUEST_ID_LENGTH = 128;
/** Longest location uid accepted; Podium issues UUIDs (36 characters). */
export const MAX_LOCATION_UID_LENGTH = 128;

/** The request-id rule, as messages state it. */
export const REQUEST_ID_RULE = `1-${MAX_REQUEST_ID_LENGTH} characters of letters, digits, ".", "_" or "-"`;
/** The location-uid rule, as messages state it. */
export const LOCATION_UID_RULE = `1-${MAX_LOCATION_UID_LENGTH} characters of [A-Za-z0-9._-], starting with a letter or digit`;
/** The organization-slug rule, as messages state it. */
export const ORG_SLUG_RULE = "1-63 lower-case letters, digits and dashes, not starting with a dash";
/** Longest consent `state` accepted; the router issues 43 characters (32 random bytes, base64url). */
export const MAX_AUTHORIZATION_STATE_LENGTH = 128;
/** The consent-state rule, as messages state it. */
export const AUTHORIZATION_STATE_RULE = `1-${MAX_AUTHORIZATION_STATE_LENGTH} characters of [A-Za-z0-9._-]`;

// A letter or digit first: "." and ".." are never a uid, and a uid names a refresh-token file.
const LOCATION_UID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_LOCATION_UID_LENGTH - 1}}$`);
const ORG_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Longest OAuth app name accepted (`oauth_apps.<name>`). */
export const MAX_OAUTH_APP_NAME_LENGTH = 64;
/** The OAuth app name rule, as messages state it. */
export const OAUTH_APP_NAME_RULE = `1-${MAX_OAUTH_APP_NAME_LENGTH} characters of [a-z0-9_-], starting with a letter or digit`;
// Lower case, so an environment override (PODIUM_ROUTER_OAUTH_APPS__<NAME>__…) can name it; never a path or
// an "env:"/"file:" reference, since neither ":", "/" nor "." is allowed.
const OAUTH_APP_NAME = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MAX_OAUTH_APP_NAME_LENGTH - 1}}$`);

/** A fresh request id (a random UUID), for a call whose caller sent none. */
export function newRequestId(): string {
  return randomUUID();
}

/** True for 1-128 characters of `[A-Za-z0-9._-]`: safe in headers, logs and file names. */
export function isRequestId(id: unknown): boolean {
  return typeof id === "string" && id.length > 0 && id.length <= MAX_REQUEST_ID_LENGTH && isIdChars(id);
}

/**
 * Returns `id` when it is a valid request id (the id the caller chose); throws BadRequestError otherwise, in
 * `context` (its `requestId` is the id the router refuses the call under, never the malformed one).
 */
export function validateRequestId(id: unknown, context: Pick<CoreErrorContext, "locationUid" | "requestId"> = {}): string {
  if (!isRequestId(id)) throw new BadRequestError({ locationUid: context.locationUid, requestId: context.requestId }, `request id must be ${REQUEST_ID_RULE}`);
  return id as string;
}

/** True for a location uid as the router accepts one anywhere: onboarding, settings keys, API-key grants, calls. */
export function isLocationUid(uid: unknown): boolean {
  return typeof uid === "string" && LOCATION_UID.test(uid);
}

/** True for an organization slug: lower-case letters, digits and dashes, 1-63, not starting with a dash. */
export function isOrgSlug(slug: unknown): boolean {
  return typeof slug === "string" && ORG_SLUG.test(slug);
}

/** True for a consent `state` as the router issues them (base64url): anything else cannot be one of its states. */
export function isAuthorizationState(state: unknown): boolean {
  return typeof state === "string" && state.length > 0 && state.length <= MAX_AUTHORIZATION_STATE_LENGTH && isIdChars(state);
}

/** True for an OAuth app name as settings, API-key grants and requests use it. */
export function isOAuthAppName(name: unknown): boolean {
  return typeof name === "string" && OAUTH_APP_NAME.test(name);
}

// A char-code loop instead of a regex: no backtracking, no allocation.
function isIdChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2e || c === 0x5f || c === 0x2d; // . _ -
    if (!ok) return false;
  }
  return true;
}
