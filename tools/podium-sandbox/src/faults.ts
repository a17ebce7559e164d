/**
 * Run-time switches: injected failures and the behaviours Podium leaves unspecified (rotation, TTL, rate
 * limit). Set through `PUT /_sandbox/faults` or `sandbox.setFaults()`; a patch is merged into the current set.
 */

/** What the rate limiter counts per. */
export type RateLimitKey = "token" | "app" | "location";

/** The per-minute token bucket (podium-api.md §6: 300/min, key and headers unknown). */
export interface RateLimitConfig {
  /** Requests per minute per key; also the bucket's burst. 0 disables the limit. @default 300 */
  perMinute: number;
  /** token = per access token; app = per client id; location = per named location. @default "token" */
  key: RateLimitKey;
  /** Send Retry-After / X-RateLimit-* headers (Podium documents none). @default false */
  headers: boolean;
}

/** Whether PATCH /v4/contacts/{identifier} `locations` replaces the contact's locations or adds to them. */
export type ContactLocationsPatch = "replace" | "merge";
/** Whether list operations apply their location filters (`locationUid`, `locationUids`). */
export type ListFiltersMode = "honoured" | "ignored";
/** Whether an id whose owning locations are all outside the token's grant is found (same organization). */
export type ForeignResourceIds = "allowed" | "rejected";

/** Faults and switches; every field optional in a patch. */
export interface Faults {
  /** Delay before answering any Podium route (oauth and v4). @default 0 */
  latencyMs?: number;
  /** Fraction (0..1) of v4 requests answered 500 internal_server_error. @default 0 */
  errorRate?: number;
  /** Fraction (0..1) of v4 requests whose connection is destroyed before any answer. @default 0 */
  resetRate?: number;
  /**
   * Answer every v4 request 429 rate_limit with Retry-After; with `grants`, only the requests made with those
   * grants' access tokens (a storm on one credential). @default false
   */
  rateLimitStorm?: boolean | { retryAfterSeconds?: number; grants?: string[] };
  /** Grants whose refresh tokens are refused (400 invalid_grant). Access tokens already issued keep working. */
  revokedGrants?: string[];
  /** Locations that answer 404 resource_not_found wherever named and vanish from listings. */
  deletedLocations?: string[];
  /** An action, not a state: every access token issued so far expires now (401 "ID token expired"). */
  expireAllTokens?: boolean;
  /** A refresh issues a new refresh token and invalidates the old one. @default false */
  rotateRefreshTokens?: boolean;
  /** Lifetime of new access tokens (`expires_in`). @default 36000 (10 h, podium-api.md §1) */
  accessTokenTtlSeconds?: number;
  /** The rate limit, or false to disable it. */
  rateLimit?: Partial<RateLimitConfig> | false;
  /** Sandbox extension: status for GET/PATCH /v4/locations/{uid} outside the token's grant. @default 403 */
  foreignLocationStatus?: 403 | 404;
  /** Sandbox extension: with rotation, how long the previous refresh token stays valid. @default 0 */
  rotationGraceSeconds?: number;
  /**
   * Where Podium's documents are silent, the sandbox offers each behaviour; the default is the worst one for
   * isolation. PATCH /v4/contacts `locations`: replace the contact's locations, or merge into them.
   * @default "replace"
   */
  contactLocationsPatch?: ContactLocationsPatch;
  /** Given a `cursor`, a list ignores every other query parameter (the cursor's own filters apply). @default true */
  cursorIgnoresFilters?: boolean;
  /** `ignored`: lists skip their location filters and return everything the token reaches. @default "honoured" */
  listFilters?: ListFiltersMode;
  /** `allowed`: a same-organization id is found even when no owner is in the token's grant. @default "allowed" */
  foreignResourceIds?: ForeignResourceIds;
}

/** Faults with every field present, as the sandbox applies them. */
export interface ResolvedFaults {
  latencyMs: number;
  errorRate: number;
  resetRate: number;
  rateLimitStorm: false | { retryAfterSeconds: number; grants?: string[] };
  revokedGrants: string[];
  deletedLocations: string[];
  expireAllTokens: false;
  rotateRefreshTokens: boolean;
  accessTokenTtlSeconds: number;
  rateLimit: RateLimitConfig | false;
  foreignLocationStatus: 403 | 404;
  rotationGraceSeconds: number;
  contactLocationsPatch: ContactLocationsPatch;
  cursorIgnoresFilters: boolean;
  listFilters: ListFiltersMode;
  foreignResourceIds: ForeignResourceIds;
}

/** Podium's documented "most routes are limited to 300 requests per minute". */
export const DEFAULT_RATE_LIMIT: Readonly<RateLimitConfig> = { perMinute: 300, key: "token", headers: false };
/** Reported 10-hour access-token lifetime (podium-api.md §1). */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 36_000;
/** Retry-After sent during a 429 storm when none is configured. */
const DEFAULT_STORM_RETRY_AFTER_SECONDS = 1;

/** The faults of a sandbox started with no options. */
export const noFaults: Readonly<ResolvedFaults> = {
  latencyMs: 0,
  errorRate: 0,
  resetRate: 0,
  rateLimitStorm: false,
  revokedGrants: [],
  deletedLocations: [],
  expireAllTokens: false,
  rotateRefreshTokens: false,
  accessTokenTtlSeconds: DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  rateLimit: DEFAULT_RATE_LIMIT,
  foreignLocationStatus: 403,
  rotationGraceSeconds: 0,
  contactLocationsPatch: "replace",
  cursorIgnoresFilters: true,
  listFilters: "honoured",
  foreignResourceIds: "allowed",
};

/** Thrown for a fault patch that breaks a rule; the message names the field. */
export class InvalidFaultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidFaultsError";
  }
}

function check(ok: boolean, field: string, rule: string): void {
  if (!ok) throw new InvalidFaultsError(`faults.${field} ${rule}`);
}

const isFraction = (v: unknown): boolean => typeof v === "number" && v >= 0 && v <= 1;
const isNonNegative = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === "string");
const known = new Set(Object.keys(noFaults));

/** Check a patch (for example a `PUT /_sandbox/faults` body) and return it typed. */
export function validateFaults(raw: unknown): Faults {
  check(typeof raw === "object" && raw !== null && !Array.isArray(raw), "(root)", "must be an object");
  const f = raw as Record<string, unknown>;
  for (const key of Object.keys(f)) check(known.has(key), key, "is not a known fault");
  const has = (k: string): boolean => f[k] !== undefined;
  if (has("latencyMs")) check(isNonNegative(f["latencyMs"]), "latencyMs", "must be a number >= 0");
  if (has("errorRate")) check(isFraction(f["errorRate"]), "errorRate", "must be a number between 0 and 1");
  if (has("resetRate")) check(isFraction(f["resetRate"]), "resetRate", "must be a number between 0 and 1");
  if (has("revokedGrants")) check(isStringArray(f["revokedGrants"]), "revokedGrants", "must be an array of grant ids");
  if (has("deletedLocations")) check(isStringArray(f["deletedLocations"]), "deletedLocations", "must be an array of location uids");
  for (const k of ["expireAllTokens", "rotateRefreshTokens", "cursorIgnoresFilters"]) if (has(k)) check(typeof f[k] === "boolean", k, "must be a boolean");
  if (has("accessTokenTtlSeconds")) check(isNonNegative(f["accessTokenTtlSeconds"]), "accessTokenTtlSeconds", "must be a number >= 0");
  if (has("rotationGraceSeconds")) check(isNonNegative(f["rotationGraceSeconds"]), "rotationGraceSeconds", "must be a number >= 0");
  if (has("foreignLocationStatus")) check(f["foreignLocationStatus"] === 403 || f["foreignLocationStatus"] === 404, "foreignLocationStatus", "must be 403 or 404");
  if (has("contactLocationsPatch")) check(f["contactLocationsPatch"] === "replace" || f["contactLocationsPatch"] === "merge", "contactLocationsPatch", "must be replace or merge");
  if (has("listFilters")) check(f["listFilters"] === "honoured" || f["listFilters"] === "ignored", "listFilters", "must be honoured or ignored");
  if (has("foreignResourceIds")) check(f["foreignResourceIds"] === "allowed" || f["foreignResourceIds"] === "rejected", "foreignResourceIds", "must be allowed or rejected");
  const storm = f["rateLimitStorm"];
  if (storm !== undefined && typeof storm !== "boolean") {
    check(typeof storm === "object" && storm !== null, "rateLimitStorm", "must be a boolean or { retryAfterSeconds, grants }");
    const ra = (storm as Record<string, unknown>)["retryAfterSeconds"];
    check(ra === undefined || isNonNegative(ra), "rateLimitStorm.retryAfterSeconds", "must be a number >= 0");
    const grants = (storm as Record<string, unknown>)["grants"];
    check(grants === undefined || isStringArray(grants), "rateLimitStorm.grants", "must be an array of grant ids");
  }
  const rl = f["rateLimit"];
  if (rl !== undefined && rl !== false) {
    check(typeof rl === "object" && rl !== null && !Array.isArray(rl), "rateLimit", "must be false or { perMinute, key, headers }");
    const r = rl as Record<string, unknown>;
    if (r["perMinute"] !== undefined) check(isNonNegative(r["perMinute"]), "rateLimit.perMinute", "must be a number >= 0 (0 disables)");
    if (r["key"] !== undefined) check(r["key"] === "token" || r["key"] === "app" || r["key"] === "location", "rateLimit.key", "must be token, app or location");
    if (r["headers"] !== undefined) check(typeof r["headers"] === "boolean", "rateLimit.headers", "must be a boolean");
  }
  return f as Faults;
}

/** Merge a patch into resolved faults; `rateLimit` merges one level deep, arrays are replaced. */
export function mergeFaults(base: ResolvedFaults, patch: Faults): ResolvedFaults {
  const next: ResolvedFaults = { ...base, expireAllTokens: false };
  if (patch.latencyMs !== undefined) next.latencyMs = patch.latencyMs;
  if (patch.errorRate !== undefined) next.errorRate = patch.errorRate;
  if (patch.resetRate !== undefined) next.resetRate = patch.resetRate;
  if (patch.rateLimitStorm !== undefined) {
    const s = patch.rateLimitStorm;
    if (s === false) next.rateLimitStorm = false;
    else {
      next.rateLimitStorm = { retryAfterSeconds: (s === true ? undefined : s.retryAfterSeconds) ?? DEFAULT_STORM_RETRY_AFTER_SECONDS };
      if (s !== true && s.grants !== undefined) next.rateLimitStorm.grants = [...s.grants];
    }
  }
  if (patch.revokedGrants !== undefined) next.revokedGrants = [...patch.revokedGrants];
  if (patch.deletedLocations !== undefined) next.deletedLocations = [...patch.deletedLocations];
  if (patch.rotateRefreshTokens !== undefined) next.rotateRefreshTokens = patch.rotateRefreshTokens;
  if (patch.accessTokenTtlSeconds !== undefined) next.accessTokenTtlSeconds = patch.accessTokenTtlSeconds;
  if (patch.foreignLocationStatus !== undefined) next.foreignLocationStatus = patch.foreignLocationStatus;
  if (patch.rotationGraceSeconds !== undefined) next.rotationGraceSeconds = patch.rotationGraceSeconds;
  if (patch.contactLocationsPatch !== undefined) next.contactLocationsPatch = patch.contactLocationsPatch;
  if (patch.cursorIgnoresFilters !== undefined) next.cursorIgnoresFilters = patch.cursorIgnoresFilters;
  if (patch.listFilters !== undefined) next.listFilters = patch.listFilters;
  if (patch.foreignResourceIds !== undefined) next.foreignResourceIds = patch.foreignResourceIds;
  if (patch.rateLimit !== undefined) {
    if (patch.rateLimit === false) next.rateLimit = false;
    else {
      const rl = { ...(base.rateLimit === false ? DEFAULT_RATE_LIMIT : base.rateLimit) };
      if (patch.rateLimit.perMinute !== undefined) rl.perMinute = patch.rateLimit.perMinute;
      if (patch.rateLimit.key !== undefined) rl.key = patch.rateLimit.key;
      if (patch.rateLimit.headers !== undefined) rl.headers = patch.rateLimit.headers;
      next.rateLimit = rl;
    }
  }
  return next;
}
